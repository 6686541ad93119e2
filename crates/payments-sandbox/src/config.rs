//! Which shops the sandbox knows, and how it behaves.

use payments_core::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The sandbox's shops and rules. [`SandboxConfig::demo`] has one shop per gateway with the
/// credentials of the project's public test vectors.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SandboxConfig {
    /// Feennex shops.
    #[serde(default)]
    pub feennex: Vec<FeennexShop>,
    /// Fena terminals.
    #[serde(default)]
    pub fena: Vec<FenaTerminal>,
    /// Freekassa shops.
    #[serde(default)]
    pub freekassa: Vec<FreekassaShop>,
    /// Refuse a second payment with the same shop order id (Feennex's "Check uniqueness of
    /// payments" setting, Freekassa's `paymentId`).
    #[serde(default = "yes")]
    pub unique_order_ids: bool,
    /// How many times a notification is delivered before giving up.
    #[serde(default = "default_attempts")]
    pub notification_attempts: u32,
    /// The wait before the second delivery, in milliseconds; it doubles each time.
    #[serde(default = "default_backoff_ms")]
    pub notification_backoff_ms: u64,
    /// `fast` (the default: the two settings above, before the Pay request answers) or
    /// `documented` (each gateway's documented schedule, in the background).
    #[serde(default)]
    pub notification_schedule: crate::deliver::RetrySchedule,
}

/// A Feennex shop.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct FeennexShop {
    /// The shop id.
    pub shop_id: u64,
    /// The secret key.
    pub secret: SecretString,
    /// The settings' "Notification URL" (successful payments). When set, it wins over a
    /// request's `callback_url`: Feennex honours a URL in the request only when the matching
    /// setting is empty (feennex.md §2.1, `bill/create`).
    #[serde(default)]
    pub callback_url: Option<String>,
    /// The settings' "Rejected Notification URL" (rejected payments); wins over a request's
    /// `callback_rejected_url`. With neither, a rejection goes to the notification URL.
    #[serde(default)]
    pub callback_rejected_url: Option<String>,
    /// The settings' "Success URL", where the payer goes after paying; wins over a request's
    /// `success_url`.
    #[serde(default)]
    pub success_url: Option<String>,
    /// The settings' "Failed URL", where the payer goes after a failure; wins over a
    /// request's `failed_url`.
    #[serde(default)]
    pub failed_url: Option<String>,
}

/// A Freekassa shop.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct FreekassaShop {
    /// The shop id.
    pub shop_id: u64,
    /// Secret word 1 (payment form).
    pub secret1: SecretString,
    /// Secret word 2 (notifications).
    pub secret2: SecretString,
    /// The API key.
    pub api_key: SecretString,
    /// The notification URL set in the cabinet.
    #[serde(default)]
    pub notification_url: Option<String>,
    /// The success URL set in the cabinet.
    #[serde(default)]
    pub success_url: Option<String>,
    /// The failure URL set in the cabinet.
    #[serde(default)]
    pub failure_url: Option<String>,
}

/// A Fena terminal.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct FenaTerminal {
    /// The terminal id.
    pub terminal_id: String,
    /// The terminal secret.
    pub terminal_secret: SecretString,
    /// The terminal's webhook endpoint (set in the terminal settings).
    #[serde(default)]
    pub webhook_url: Option<String>,
    /// The terminal's redirect endpoint.
    #[serde(default)]
    pub redirect_url: Option<String>,
    /// The Toolkit API key's id (`integration-id`, the dashboard's "Terminal ID"); the
    /// Toolkit API answers only when it and [`FenaTerminal::secret_key`] are set. Its
    /// webhooks go to [`FenaTerminal::webhook_url`], its payers to
    /// [`FenaTerminal::redirect_url`].
    #[serde(default)]
    pub integration_id: Option<String>,
    /// The Toolkit API key's secret (`secret-key`, the dashboard's "Terminal Secret").
    #[serde(default)]
    pub secret_key: Option<SecretString>,
    /// The company's receiving bank accounts (`open/company/bank-accounts/list`).
    #[serde(default)]
    pub bank_accounts: Vec<FenaBankAccount>,
}

/// A receiving bank account of a Fena company, as the Toolkit lists it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct FenaBankAccount {
    /// Fena's id of the account.
    pub id: String,
    /// The account's name.
    pub name: String,
    /// The sort code.
    #[serde(default)]
    pub sort_code: String,
    /// The account number.
    #[serde(default)]
    pub account_number: String,
    /// The bank (provider id, `ob-sandbox` for the sandbox account).
    #[serde(default)]
    pub provider: String,
    /// Whether payments go here when a request names no account.
    #[serde(default)]
    pub is_default: bool,
    /// Whether this is the sandbox account.
    #[serde(default)]
    pub is_sandbox: bool,
    /// `verified`, `pending` or `disabled`; only verified accounts receive payments.
    pub status: String,
}

impl FenaBankAccount {
    /// A verified account.
    pub fn verified(id: &str, name: &str, sort_code: &str, account_number: &str) -> Self {
        Self {
            id: id.to_owned(),
            name: name.to_owned(),
            sort_code: sort_code.to_owned(),
            account_number: account_number.to_owned(),
            provider: "ob-lloyds".to_owned(),
            is_default: false,
            is_sandbox: false,
            status: "verified".to_owned(),
        }
    }
}

/// The demo Toolkit `integration-id`: the docs' example `terminal-id`.
const DEMO_INTEGRATION_ID: &str = "62b48adf6ba2cd6a040b1eec";
/// The demo Toolkit `secret-key`: the docs' example `terminal-secret`.
const DEMO_SECRET_KEY: &str = "3858f642-e92f-431c-9d38-46d15efb7fba";

fn demo_bank_accounts() -> Vec<FenaBankAccount> {
    let sandbox = FenaBankAccount {
        provider: "ob-sandbox".to_owned(),
        is_default: true,
        is_sandbox: true,
        ..FenaBankAccount::verified(
            "62b48c5b6ba2cd6a040b20a8",
            "Sandbox account",
            "000000",
            "00000000",
        )
    };
    let pending = FenaBankAccount {
        status: "pending".to_owned(),
        ..FenaBankAccount::verified("62b48c5b6ba2cd6a040b20aa", "Savings", "309634", "87654321")
    };
    vec![
        sandbox,
        FenaBankAccount::verified("62b48c5b6ba2cd6a040b20a9", "Shop takings", "309634", "12345678"),
        pending,
    ]
}

fn yes() -> bool {
    true
}

fn default_attempts() -> u32 {
    5
}

fn default_backoff_ms() -> u64 {
    200
}

impl SandboxConfig {
    /// The demo shops, with the credentials of the project's test vectors: Feennex shop 5
    /// with secret `SecretKey01`; Freekassa shop 7012 with secret words `secret` and
    /// `secret2` and API key `test_api_key`; Fena terminal `4af9b080-b6d3-4206-a10f-f2162f15b655` with
    /// secret `0b7e3c1a-5d2f-4e8b-9a6c-2f1d3e4b5a69`, whose Toolkit API key is the docs'
    /// example pair (`integration-id` `62b48adf6ba2cd6a040b1eec`, `secret-key`
    /// `3858f642-e92f-431c-9d38-46d15efb7fba`) with three bank accounts: the default sandbox
    /// account `62b48c5b6ba2cd6a040b20a8` (the docs' example id), a verified one and a
    /// pending one.
    pub fn demo() -> Self {
        Self {
            feennex: vec![FeennexShop {
                shop_id: 5,
                secret: SecretString::from("SecretKey01"),
                callback_url: None,
                callback_rejected_url: None,
                success_url: None,
                failed_url: None,
            }],
            freekassa: vec![FreekassaShop {
                shop_id: 7012,
                secret1: SecretString::from("secret"),
                secret2: SecretString::from("secret2"),
                api_key: SecretString::from("test_api_key"),
                notification_url: None,
                success_url: None,
                failure_url: None,
            }],
            fena: vec![FenaTerminal {
                terminal_id: "4af9b080-b6d3-4206-a10f-f2162f15b655".to_owned(),
                terminal_secret: SecretString::from("0b7e3c1a-5d2f-4e8b-9a6c-2f1d3e4b5a69"),
                webhook_url: None,
                redirect_url: None,
                integration_id: Some(DEMO_INTEGRATION_ID.to_owned()),
                secret_key: Some(SecretString::from(DEMO_SECRET_KEY)),
                bank_accounts: demo_bank_accounts(),
            }],
            unique_order_ids: true,
            notification_attempts: default_attempts(),
            notification_backoff_ms: default_backoff_ms(),
            notification_schedule: crate::deliver::RetrySchedule::Fast,
        }
    }

    /// Reads a configuration from JSON.
    ///
    /// # Errors
    ///
    /// A message naming what is wrong.
    pub fn from_json(json: &str) -> Result<Self, String> {
        serde_json::from_str(json).map_err(|error| error.to_string())
    }

    /// The Feennex shop with `shop_id`.
    pub fn feennex_shop(&self, shop_id: &str) -> Option<&FeennexShop> {
        self.feennex.iter().find(|shop| shop.shop_id.to_string() == shop_id)
    }

    /// Sends every shop's notifications to `base_url/<gateway>` (a merchant's webhook
    /// receiver), where the gateway takes the URL from its settings rather than the request.
    #[must_use]
    pub fn with_webhooks_to(mut self, base_url: &str) -> Self {
        for terminal in &mut self.fena {
            terminal.webhook_url = Some(format!("{base_url}/fena"));
        }
        for shop in &mut self.freekassa {
            shop.notification_url = Some(format!("{base_url}/freekassa"));
        }
        self
    }

    /// The Freekassa shop with `shop_id`.
    pub fn freekassa_shop(&self, shop_id: &str) -> Option<&FreekassaShop> {
        self.freekassa.iter().find(|shop| shop.shop_id.to_string() == shop_id)
    }

    /// The Fena terminal whose Toolkit API key is `integration_id`.
    pub fn fena_integration(&self, integration_id: &str) -> Option<&FenaTerminal> {
        self.fena.iter().find(|terminal| terminal.integration_id.as_deref() == Some(integration_id))
    }

    /// The Fena terminal with `terminal_id`.
    pub fn fena_terminal(&self, terminal_id: &str) -> Option<&FenaTerminal> {
        self.fena.iter().find(|terminal| terminal.terminal_id == terminal_id)
    }

    /// A human-readable list of the shops and their credentials, for the command line.
    pub fn describe(&self) -> Vec<String> {
        let feennex = self.feennex.iter().map(|shop| {
            format!("feennex shop_id={} secret={}", shop.shop_id, shop.secret.expose_secret())
        });
        let fena = self.fena.iter().map(|terminal| {
            let secret = terminal.terminal_secret.expose_secret();
            let mut line =
                format!("fena terminal_id={} terminal_secret={secret}", terminal.terminal_id);
            if let (Some(id), Some(key)) = (&terminal.integration_id, &terminal.secret_key) {
                line.push_str(&format!(
                    " toolkit integration-id={id} secret-key={}",
                    key.expose_secret()
                ));
            }
            line
        });
        let freekassa = self.freekassa.iter().map(|shop| {
            format!(
                "freekassa shop_id={} secret1={} secret2={} api_key={}",
                shop.shop_id,
                shop.secret1.expose_secret(),
                shop.secret2.expose_secret(),
                shop.api_key.expose_secret()
            )
        });
        feennex.chain(freekassa).chain(fena).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_file_names_its_own_shops_and_rules() {
        let config = SandboxConfig::from_json(
            r#"{"feennex": [{"shop_id": 9, "secret": "Abcdefg1", "callback_url": "http://127.0.0.1:9/cb"}],
                "freekassa": [{"shop_id": 1, "secret1": "a", "secret2": "b", "api_key": "c"}],
                "unique_order_ids": false, "notification_attempts": 2}"#,
        )
        .unwrap();
        assert!(config.feennex_shop("9").is_some() && config.feennex_shop("5").is_none());
        assert!(config.freekassa_shop("1").is_some() && config.fena.is_empty());
        assert!(!config.unique_order_ids);
        assert_eq!((config.notification_attempts, config.notification_backoff_ms), (2, 200));
        assert!(SandboxConfig::from_json(r#"{"paypal": []}"#).unwrap_err().contains("paypal"));
        assert_eq!(config.notification_schedule, crate::deliver::RetrySchedule::Fast);
        let documented = SandboxConfig::from_json(r#"{"notification_schedule": "documented"}"#);
        let documented = documented.unwrap().notification_schedule;
        assert_eq!(documented, crate::deliver::RetrySchedule::Documented);
    }

    #[test]
    fn demo_shops_use_the_vector_credentials() {
        let lines = SandboxConfig::demo().describe().join("\n");
        for expected in [
            "shop_id=5 secret=SecretKey01",
            "shop_id=7012 secret1=secret secret2=secret2 api_key=test_api_key",
            "terminal_id=4af9b080-b6d3-4206-a10f-f2162f15b655",
            "integration-id=62b48adf6ba2cd6a040b1eec secret-key=3858f642-e92f-431c-9d38-46d15efb7fba",
        ] {
            assert!(lines.contains(expected), "{lines}");
        }
    }
}
