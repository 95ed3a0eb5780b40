//! Assertions on errors (the code, the ErrorInfo reason, the fields) and on
//! computed statistics.

use tonic::{Code, Status};

/// Asserts the code and `ErrorInfo` reason of an error.
#[track_caller]
pub fn assert_status(status: &Status, code: Code, expected_reason: &str) {
    assert_eq!(status.code(), code, "unexpected status: {status:?}");
    assert_eq!(
        reason(status),
        expected_reason,
        "unexpected reason: {status:?}"
    );
}

/// Asserts `INVALID_ARGUMENT` with reason `INVALID_FIELDS` that names
/// exactly `fields` (in any order) as violated.
#[track_caller]
pub fn assert_invalid(status: &Status, fields: &[&str]) {
    assert_status(status, Code::InvalidArgument, "INVALID_FIELDS");
    let mut actual = violated_fields(status);
    actual.sort();
    let mut expected: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
    expected.sort();
    assert_eq!(actual, expected, "violated fields of {status:?}");
}

/// Asserts `NOT_FOUND`.
#[track_caller]
pub fn assert_not_found(status: &Status) {
    assert_status(status, Code::NotFound, "NOT_FOUND");
}

/// Asserts that a statistic is present and equals `expected` up to
/// floating-point rounding.
#[track_caller]
pub fn assert_close(actual: Option<f64>, expected: f64) {
    let actual = actual.expect("a value");
    assert!(
        (actual - expected).abs() < 1e-9,
        "{actual} is not {expected}"
    );
}

/// The field paths of a status's `google.rpc.BadRequest` violations.
pub fn violated_fields(status: &Status) -> Vec<String> {
    use tonic_types::StatusExt;
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

/// The `google.rpc.ErrorInfo` reason of a status.
pub fn reason(status: &Status) -> String {
    use tonic_types::StatusExt;
    status
        .get_details_error_info()
        .map(|info| info.reason)
        .unwrap_or_default()
}
