//! Signing in: emails, passwords and device labels from requests, and
//! device sessions, their tokens and security events for answers.

use std::net::IpAddr;

use uuid::Uuid;

use super::{enum_conversions, timestamp};
use crate::app::{Login, SignedIn};
use crate::domain::password::{check_given_password, check_new_password};
use crate::domain::{
    DeviceSession, EndReason, SecurityEvent, SecurityEventKind, fields, normalize_email,
};
use crate::error::{Error, Result, Violations};
use crate::pb;

enum_conversions!(
    SecurityEventKind,
    pb::SecurityEventType {
        SignedIn,
        SignInFailed,
        RefreshReused,
        SessionRevoked,
        SignedOut,
        PasswordSet,
        SecondFactorAdded,
        SecondFactorRemoved,
        RecoveryCodeUsed,
        PasswordChanged,
        EmailChanged,
        RecoveryCodeCreated,
        AccountRecovered,
    }
);

/// Whether the password is a new one, held to the rules for choosing one,
/// or one given to sign in, only bounded in length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordUse {
    /// Chosen now.
    New,
    /// Given to sign in.
    Given,
}

/// The email, password and device label of a request, checked, with the
/// violations of other fields of the same request.
pub fn login(
    check: &mut Violations,
    email: &str,
    password: String,
    device_label: &str,
    use_: PasswordUse,
) -> Login {
    let email = check.check("email", normalize_email(email));
    let password_check = match use_ {
        PasswordUse::New => check_new_password(&password),
        PasswordUse::Given => check_given_password(&password),
    };
    check.check("password", password_check);
    let device_label = check.check("device_label", fields::token_label(device_label));
    Login {
        email,
        password,
        device_label,
    }
}

/// The login and second factor code of a `SignInRequest`.
pub fn sign_in(request: pb::SignInRequest) -> Result<(Login, Option<String>)> {
    let mut check = Violations::new();
    let login = login(
        &mut check,
        &request.email,
        request.password,
        &request.device_label,
        PasswordUse::Given,
    );
    let code = request.second_factor_code.trim();
    if code.chars().count() > MAX_CODE_CHARS {
        check.add(
            "second_factor_code",
            format!("must be at most {MAX_CODE_CHARS} characters"),
        );
    }
    check.finish()?;
    let code = (!code.is_empty()).then(|| code.to_owned());
    Ok((login, code))
}

/// Most characters of an authenticator's or a recovery code as typed.
const MAX_CODE_CHARS: usize = 64;

/// The code of a `ConfirmTotpEnrollmentRequest`.
pub fn totp_code(request: pb::ConfirmTotpEnrollmentRequest) -> Result<String> {
    let code = request.code.trim();
    if code.is_empty() || code.chars().count() > MAX_CODE_CHARS {
        return Err(Error::invalid(
            "code",
            "must be the authenticator's six-digit code",
        ));
    }
    Ok(code.to_owned())
}

/// The current and new passwords of a `ChangePasswordRequest`.
pub fn password_change(request: pb::ChangePasswordRequest) -> Result<(String, String)> {
    let mut check = Violations::new();
    check.check(
        "current_password",
        check_given_password(&request.current_password),
    );
    check.check("new_password", check_new_password(&request.new_password));
    check.finish()?;
    Ok((request.current_password, request.new_password))
}

/// The password and new email of a `ChangeEmailRequest`.
pub fn email_change(request: pb::ChangeEmailRequest) -> Result<(String, String)> {
    let mut check = Violations::new();
    check.check("password", check_given_password(&request.password));
    let email = check.check("new_email", normalize_email(&request.new_email));
    check.finish()?;
    Ok((request.password, email))
}

/// The code, new password and device label of a `RecoverAccountRequest`.
pub fn recovery(request: pb::RecoverAccountRequest) -> Result<(String, String, String)> {
    let mut check = Violations::new();
    if request.recovery_code.trim().is_empty() {
        check.add("recovery_code", "is required");
    }
    check.check("new_password", check_new_password(&request.new_password));
    let label = check.check("device_label", fields::token_label(&request.device_label));
    check.finish()?;
    Ok((request.recovery_code, request.new_password, label))
}

/// The password of a `RemoveTotpRequest`, bounded in length.
pub fn password_again(request: pb::RemoveTotpRequest) -> Result<String> {
    check_given_password(&request.password).map_err(|e| Error::invalid("password", e))?;
    Ok(request.password)
}

/// The setup code and login of a `CompleteAccountSetupRequest`.
pub fn account_setup(request: pb::CompleteAccountSetupRequest) -> Result<(String, Login)> {
    let mut check = Violations::new();
    if request.setup_code.trim().is_empty() {
        check.add("setup_code", "is required");
    }
    let login = login(
        &mut check,
        &request.email,
        request.password,
        &request.device_label,
        PasswordUse::New,
    );
    check.finish()?;
    Ok((request.setup_code, login))
}

/// The session id and refresh token of a `RefreshSessionRequest`.
pub fn refresh(request: pb::RefreshSessionRequest) -> Result<(Uuid, String)> {
    let mut check = Violations::new();
    let session_id = check.check("session_id", fields::id(&request.session_id));
    if request.refresh_token.trim().is_empty() {
        check.add("refresh_token", "is required");
    }
    check.finish()?;
    Ok((session_id, request.refresh_token.trim().to_owned()))
}

/// API form of a device session; `current` is the caller's session.
pub fn device_session(session: DeviceSession, current: Option<Uuid>) -> pb::DeviceSession {
    let DeviceSession {
        id,
        account_id: _,
        label,
        create_time_us,
        last_refresh_time_us,
        refresh_hash: _,
        replaced: _,
        ended,
    } = session;
    let state = match ended.map(|end| end.reason) {
        None => pb::DeviceSessionState::Active,
        Some(EndReason::SignedOut) => pb::DeviceSessionState::SignedOut,
        Some(EndReason::Revoked) => pb::DeviceSessionState::Revoked,
        Some(EndReason::RefreshReused) => pb::DeviceSessionState::RefreshReused,
        Some(EndReason::PasswordChanged) => pb::DeviceSessionState::PasswordChanged,
    };
    pb::DeviceSession {
        id: id.to_string(),
        device_label: label,
        create_time: timestamp(create_time_us),
        last_refresh_time: last_refresh_time_us.and_then(timestamp),
        state: state.into(),
        end_time: ended.and_then(|end| timestamp(end.time_us)),
        current: current == Some(id),
    }
}

/// The tokens a device is given.
pub fn session_tokens(signed_in: SignedIn) -> (pb::Account, pb::SessionTokens) {
    let SignedIn {
        account,
        session,
        access_token,
        access_expire_time_us,
        refresh_token,
    } = signed_in;
    let current = Some(session.id);
    let tokens = pb::SessionTokens {
        session: Some(device_session(session, current)),
        access_token,
        access_token_expire_time: timestamp(access_expire_time_us),
        refresh_token,
    };
    (account.into(), tokens)
}

/// API form of a security event.
pub fn security_event(event: SecurityEvent) -> pb::SecurityEvent {
    let SecurityEvent {
        account_id: _,
        kind,
        time_us,
        session_id,
        source_address,
    } = event;
    pb::SecurityEvent {
        r#type: pb::SecurityEventType::from(kind).into(),
        time: timestamp(time_us),
        session_id: session_id.map(|id| id.to_string()).unwrap_or_default(),
        source_address,
    }
}

/// The peer address of a request, for throttles and security events.
pub fn peer<T>(request: &tonic::Request<T>) -> Option<IpAddr> {
    request.remote_addr().map(|addr| addr.ip())
}
