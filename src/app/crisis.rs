//! Where to get help in a crisis: the deployment's list, for anyone (no
//! account needed), and the list an answer reporting thoughts of self-harm
//! carries.

use super::App;
use crate::domain::AssessmentResult;
use crate::domain::crisis::{CrisisList, Locale};

impl App {
    /// The crisis resources for `locale`; never empty.
    pub fn crisis_resources(&self, locale: &Locale) -> CrisisList {
        self.crisis.for_locale(locale)
    }

    /// The crisis resources the answer to the submission of `result`
    /// carries: those for `locale` when it reports thoughts of self-harm.
    pub fn crisis_resources_after(
        &self,
        result: &AssessmentResult,
        locale: &Locale,
    ) -> Option<CrisisList> {
        result
            .signals_self_harm()
            .then(|| self.crisis_resources(locale))
    }
}
