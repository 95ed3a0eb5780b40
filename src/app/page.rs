//! Which page of a list a caller asks for, as the use cases take it: the
//! layers above ask the use cases, never the store, so they name this type
//! and the app hands the store its own.

use crate::store;

/// Which page of a list to read.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest<'a> {
    /// Most items on the page; a list the store reads ends sooner, when
    /// its items would not fit in a message.
    pub size: usize,
    /// `next_page_token` of the previous page; empty for the first.
    pub token: &'a str,
}

impl<'a> From<PageRequest<'a>> for store::PageRequest<'a> {
    fn from(PageRequest { size, token }: PageRequest<'a>) -> Self {
        Self { size, token }
    }
}

/// Checks that `token` is empty or has the form of a page token, so a
/// request's bad token is reported with its other fields, before any list
/// is read; whether it continues the list asked for is known only when
/// that list is read.
pub fn check_page_token(token: &str) -> Result<(), String> {
    store::check_page_token(token)
}
