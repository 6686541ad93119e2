//! The merchant's receiving bank accounts.

use payments_core::transport::HttpResponse;
use serde::Deserialize;

use crate::config::ToolkitConfig;
use crate::error::Error;
use crate::model::BankAccountStatus;
use crate::request::Prepared;
use crate::response;

/// `GET open/company/bank-accounts/list`: one page of the merchant's bank accounts. Safe to
/// repeat.
///
/// ```
/// use fena::{ToolkitConfig, api::bank_account::BankAccountList};
///
/// let config = ToolkitConfig::new("62b48adf6ba2cd6a040b1eec", "secret");
/// let prepared = BankAccountList::default().with_page(2).with_limit(50).prepare(&config)?;
/// assert_eq!(
///     prepared.request().url.as_str(),
///     "https://epos.api.fena.co/open/company/bank-accounts/list?page=2&limit=50"
/// );
/// # Ok::<(), fena::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BankAccountList {
    /// The page, from 1 (Fena's default when unset).
    pub page: Option<u32>,
    /// Accounts per page (Fena's default is 25).
    pub limit: Option<u32>,
}

impl BankAccountList {
    /// The endpoint.
    pub const ENDPOINT: &'static str = "open/company/bank-accounts/list";

    /// Asks for page `page`.
    #[must_use]
    pub fn with_page(mut self, page: u32) -> Self {
        self.page = Some(page);
        self
    }

    /// Asks for `limit` accounts per page.
    #[must_use]
    pub fn with_limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Builds the request.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] when the URL or headers cannot be built.
    pub fn prepare(&self, config: &ToolkitConfig) -> Result<Prepared, Error> {
        let mut query = Vec::new();
        if let Some(page) = self.page {
            query.push(("page", page.to_string()));
        }
        if let Some(limit) = self.limit {
            query.push(("limit", limit.to_string()));
        }
        Prepared::get(config, Self::ENDPOINT, &["open", "company", "bank-accounts", "list"], &query)
    }

    /// Reads the response.
    ///
    /// `prepared` is the request this answers. Fena's answers are checked without it; it is taken
    /// so that every gateway's `parse_response` has the same arguments.
    ///
    /// # Errors
    ///
    /// The errors of [`response::parse`].
    pub fn parse_response(
        &self,
        _prepared: &Prepared,
        response: &HttpResponse,
    ) -> Result<BankAccountPage, Error> {
        response::parse(Self::ENDPOINT, response, "data")
    }
}

/// One page of bank accounts.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct BankAccountPage {
    /// The accounts.
    pub docs: Vec<BankAccount>,
    /// How many accounts there are in all, when given.
    #[serde(default, rename = "totalDocs")]
    pub total_docs: Option<u64>,
    /// This page's number, when given.
    #[serde(default)]
    pub page: Option<u64>,
    /// How many pages there are, when given.
    #[serde(default, rename = "totalPages")]
    pub total_pages: Option<u64>,
    /// Whether another page follows, when given.
    #[serde(default, rename = "hasNextPage")]
    pub has_next_page: Option<bool>,
}

/// A receiving bank account of the merchant.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct BankAccount {
    /// Fena's id of the account (send it as `bankAccount` when creating a payment).
    #[serde(deserialize_with = "payments_core::wire::text")]
    pub id: String,
    /// The account's name.
    #[serde(default)]
    pub name: Option<String>,
    /// The sort code.
    #[serde(default, rename = "sortCode")]
    pub sort_code: Option<String>,
    /// The account number.
    #[serde(default, rename = "accountNumber")]
    pub account_number: Option<String>,
    /// The bank (provider id).
    #[serde(default)]
    pub provider: Option<String>,
    /// Whether payments go here by default.
    #[serde(default, rename = "isDefault")]
    pub is_default: bool,
    /// Whether this is the sandbox account (no real money moves).
    #[serde(default, rename = "isSandbox")]
    pub is_sandbox: bool,
    /// Verification status; only verified accounts receive payments.
    pub status: BankAccountStatus,
    /// How the account was added, as sent.
    #[serde(default, rename = "creationType")]
    pub creation_type: Option<String>,
    /// When it was added, as sent.
    #[serde(default, rename = "createdAt")]
    pub created_at: Option<String>,
}

impl BankAccount {
    /// Whether the account can receive payments.
    pub fn is_verified(&self) -> bool {
        self.status == BankAccountStatus::Verified
    }
}
