//! Crisis resources: the region and language of a request, and the lists
//! in answers.

use crate::domain::crisis::{CrisisList, CrisisResource, Language, Locale, Region};
use crate::error::{Result, Violations};
use crate::pb;

/// The locale of a request's `region` and `language` fields; empty ones
/// are none.
pub fn locale(region: &str, language: &str) -> Result<Locale> {
    let mut check = Violations::new();
    let region = match region {
        "" => None,
        code => check.ok("region", Region::parse(code)),
    };
    let language = match language {
        "" => None,
        tag => check.ok("language", Language::parse(tag)),
    };
    check.finish()?;
    Ok(Locale { region, language })
}

impl From<CrisisResource> for pb::CrisisResource {
    fn from(resource: CrisisResource) -> Self {
        let CrisisResource {
            name,
            phone,
            sms,
            url,
            hours,
        } = resource;
        pb::CrisisResource {
            name,
            phone,
            sms,
            url,
            hours,
        }
    }
}

/// The resources of `list`, as answers carry them.
pub fn crisis_resources(list: CrisisList) -> Vec<pb::CrisisResource> {
    list.resources.into_iter().map(Into::into).collect()
}

impl From<CrisisList> for pb::GetCrisisResourcesResponse {
    fn from(list: CrisisList) -> Self {
        pb::GetCrisisResourcesResponse {
            region: list
                .region
                .as_ref()
                .map(|r| r.code().to_owned())
                .unwrap_or_default(),
            crisis_resources: crisis_resources(list),
        }
    }
}
