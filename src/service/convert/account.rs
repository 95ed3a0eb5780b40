//! Accounts.

use super::{enum_conversions, enum_value, required, timestamp};
use crate::app::NewAccount;
use crate::domain::{Account, Role, fields};
use crate::error::{Result, Violations};
use crate::pb;

enum_conversions!(
    Role,
    pb::Role {
        Client,
        Therapist,
        Admin,
    }
);

/// A new account from a `CreateAccountRequest`.
pub fn new_account(account: Option<pb::Account>) -> Result<NewAccount> {
    let account = required(account, "account")?;
    let mut check = Violations::new();
    let role = check.check("account.role", enum_value::<pb::Role, Role>(account.role));
    let display_name = check.check(
        "account.display_name",
        fields::display_name(&account.display_name),
    );
    let time_zone = check.check("account.time_zone", fields::time_zone(&account.time_zone));
    check.finish()?;
    Ok(NewAccount {
        role,
        display_name,
        time_zone,
    })
}

/// The code and new account of a `SignUpWithInviteRequest`.
pub fn sign_up(request: pb::SignUpWithInviteRequest) -> Result<(String, NewAccount)> {
    let mut check = Violations::new();
    let display_name = check.check("display_name", fields::display_name(&request.display_name));
    let time_zone = check.check("time_zone", fields::time_zone(&request.time_zone));
    if request.code.trim().is_empty() {
        check.add("code", "is required");
    }
    check.finish()?;
    let new = NewAccount {
        role: Role::Client,
        display_name,
        time_zone,
    };
    Ok((request.code, new))
}

impl From<Account> for pb::Account {
    fn from(account: Account) -> Self {
        let Account {
            id,
            role,
            display_name,
            time_zone,
            create_time_us,
            update_time_us,
            version,
        } = account;
        pb::Account {
            id: id.to_string(),
            role: pb::Role::from(role) as i32,
            display_name,
            time_zone: time_zone.name().to_owned(),
            create_time: timestamp(create_time_us),
            update_time: timestamp(update_time_us),
            version,
        }
    }
}
