//! Accounts and their tokens.

use super::{all, enum_conversions, enum_value, masked, micros, required, timestamp};
use crate::app::{AccountChange, Login, NewAccount};
use crate::domain::{Account, AccountState, Role, Token, TokenState, fields};
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
enum_conversions!(
    AccountState,
    pb::AccountState {
        Active,
        Disabled,
        Deleted,
    }
);
enum_conversions!(
    TokenState,
    pb::TokenState {
        Active,
        Expired,
        Revoked,
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
pub fn sign_up(request: pb::SignUpWithInviteRequest) -> Result<(String, NewAccount, Login)> {
    let mut check = Violations::new();
    let display_name = check.check("display_name", fields::display_name(&request.display_name));
    let time_zone = check.check("time_zone", fields::time_zone(&request.time_zone));
    if request.code.trim().is_empty() {
        check.add("code", "is required");
    }
    let login = super::login(
        &mut check,
        &request.email,
        request.password,
        &request.device_label,
        super::PasswordUse::New,
    );
    check.finish()?;
    let new = NewAccount {
        role: Role::Client,
        display_name,
        time_zone,
    };
    Ok((request.code, new, login))
}

/// A field of the profile that `UpdateCurrentAccount` changes.
#[derive(Debug, Clone, Copy)]
enum ProfileField {
    DisplayName,
    TimeZone,
}

/// The version and change of an `UpdateCurrentAccountRequest`.
pub fn account_change(request: pb::UpdateCurrentAccountRequest) -> Result<(i64, AccountChange)> {
    const FIELDS: &[(&str, ProfileField)] = &[
        ("display_name", ProfileField::DisplayName),
        ("time_zone", ProfileField::TimeZone),
    ];
    let account = required(request.account, "account");
    let mut check = Violations::new();
    let chosen = masked(&request.update_mask, FIELDS, &mut check);
    let update = account.map(|account| {
        let mut change = AccountChange::default();
        for field in chosen {
            match field {
                ProfileField::DisplayName => {
                    let name = fields::display_name(&account.display_name);
                    change.display_name = Some(check.check("account.display_name", name));
                }
                ProfileField::TimeZone => {
                    let zone = fields::required_time_zone(&account.time_zone);
                    change.time_zone = Some(check.check("account.time_zone", zone));
                }
            }
        }
        (account.version, change)
    });
    let (update, ()) = all((update, check.finish()))?;
    Ok(update)
}

/// The label and expiry of a `CreateTokenRequest`, at `now_us`.
pub fn new_token(request: pb::CreateTokenRequest, now_us: i64) -> Result<(String, Option<i64>)> {
    let mut check = Violations::new();
    let label = check.check("label", fields::token_label(&request.label));
    let expiry = request.expire_time.map(|at| {
        let parsed = micros(&at).and_then(|at| fields::token_expiry(at, now_us));
        check.check("expire_time", parsed)
    });
    check.finish()?;
    Ok((label, expiry))
}

/// API form of a token as its holder sees it at `now_us`; `current` is the
/// hash of the calling token.
pub fn token(token: Token, now_us: i64, current: Option<&[u8; 32]>) -> pb::Token {
    let state = token.state(now_us);
    let Token {
        id,
        hash,
        account_id: _,
        label,
        create_time_us,
        last_use_time_us,
        expire_time_us,
        revoked,
    } = token;
    pb::Token {
        id: id.to_string(),
        label,
        create_time: timestamp(create_time_us),
        last_use_time: last_use_time_us.and_then(timestamp),
        expire_time: expire_time_us.and_then(timestamp),
        state: pb::TokenState::from(state) as i32,
        revoke_time: revoked.and_then(|revocation| timestamp(revocation.time_us)),
        current: current == Some(&hash),
    }
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
            state,
        } = account;
        pb::Account {
            id: id.to_string(),
            role: pb::Role::from(role) as i32,
            display_name,
            time_zone: time_zone.name().to_owned(),
            create_time: timestamp(create_time_us),
            update_time: timestamp(update_time_us),
            version,
            state: pb::AccountState::from(state) as i32,
            delete_time: if state == AccountState::Deleted {
                timestamp(update_time_us)
            } else {
                None
            },
        }
    }
}
