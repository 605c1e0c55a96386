//! The merchant API's route table: every operation once, with its method, path, id, summary
//! and what it returns. The router (`routes`) and the OpenAPI document (`api::openapi`) are
//! both built from this one table, so a route cannot exist without being documented.
//!
//! Why a table and not `utoipa`'s `#[utoipa::path]`: the handlers parse their parameters
//! dynamically (a form/query bracket tree checked by typed wire structs in `intent_params`,
//! `params::typed`), so per-handler annotations would be a second, hand-kept description of
//! the same routes; here the description *is* the routing.

use crate::api::{
    balance, checkout_sessions, customers, events, payment_intents, payment_methods, refunds,
    setup_intents, test_clock, test_faults, test_sms, test_virtual_accounts, webhook_endpoints,
};
use crate::state::SharedState;
use crate::wallet_tokens::api as tokens;
use axum::Router;
use axum::routing::{MethodFilter, on};

/// An object kind a response carries (`"object": name`), and whether it has an `id`.
#[derive(Clone, Copy, Debug)]
pub struct Kind {
    pub name: &'static str,
    pub has_id: bool,
}

const fn kind(name: &'static str) -> Kind {
    Kind { name, has_id: true }
}

const fn singleton(name: &'static str) -> Kind {
    Kind {
        name,
        has_id: false,
    }
}

/// What a successful call returns.
#[derive(Clone, Copy, Debug)]
pub enum Returns {
    /// One object of the kind.
    Object(Kind),
    /// A list envelope (`object: "list"`) of items of the kind (`None`: plain records).
    List(Option<Kind>),
    /// A health report (`/healthz`, `/readyz`); `/readyz` also answers 503.
    Health,
}

/// One operation of the API.
#[derive(Clone, Copy, Debug)]
pub struct Operation {
    /// `GET`, `POST` or `DELETE`.
    pub method: &'static str,
    /// The path, with `{id}` for an object id.
    pub path: &'static str,
    pub operation_id: &'static str,
    pub summary: &'static str,
    pub returns: Returns,
}

pub const PAYMENT_INTENT: Kind = kind("payment_intent");
pub const SETUP_INTENT: Kind = kind("setup_intent");
pub const CHARGE: Kind = kind("charge");
pub const REFUND: Kind = kind("refund");
pub const CUSTOMER: Kind = kind("customer");
pub const PAYMENT_METHOD: Kind = kind("payment_method");
pub const EVENT: Kind = kind("event");
pub const WEBHOOK_ENDPOINT: Kind = kind("webhook_endpoint");
pub const BALANCE: Kind = singleton("balance");
pub const BALANCE_TRANSACTION: Kind = kind("balance_transaction");
pub const PAYOUT: Kind = kind("payout");
pub const DELIVERY_ATTEMPT: Kind = singleton("webhook_delivery_attempt");
pub const TEST_CLOCK: Kind = singleton("test_clock");
pub const FAULTS: Kind = singleton("test_helpers.faults");
pub const RESEND: Kind = singleton("webhook_resend");
pub const TOKEN: Kind = kind("token");
pub const CHECKOUT_SESSION: Kind = kind("checkout.session");
pub const LINE_ITEM: Kind = kind("item");

/// Every kind a response may carry (the document's component schemas).
pub const KINDS: &[Kind] = &[
    PAYMENT_INTENT,
    SETUP_INTENT,
    CHARGE,
    REFUND,
    CUSTOMER,
    PAYMENT_METHOD,
    EVENT,
    WEBHOOK_ENDPOINT,
    BALANCE,
    BALANCE_TRANSACTION,
    PAYOUT,
    DELIVERY_ATTEMPT,
    TEST_CLOCK,
    FAULTS,
    RESEND,
    TOKEN,
    CHECKOUT_SESSION,
    LINE_ITEM,
];

/// Declares the table: `METHOD "path" handler, "operationId", returns, "summary";`.
macro_rules! operations {
    ($($method:ident $path:literal $handler:path, $id:literal, $returns:expr, $summary:literal;)*) => {
        /// Every operation of the merchant API, in document order.
        pub const OPERATIONS: &[Operation] = &[$(Operation {
            method: stringify!($method),
            path: $path,
            operation_id: $id,
            summary: $summary,
            returns: $returns,
        },)*];

        /// The router of every operation in `OPERATIONS`.
        pub fn routes() -> Router<SharedState> {
            Router::new()$(.route($path, on(MethodFilter::$method, $handler)))*
        }
    };
}

use Returns::{Health, List, Object};

operations! {
    GET "/healthz" super::healthz, "GetHealthz", Health, "Liveness: the process answers";
    GET "/readyz" super::readyz, "GetReadyz", Health, "Readiness: database, store and card network";
    POST "/v1/payment_intents" payment_intents::create, "PostPaymentIntents", Object(PAYMENT_INTENT), "Create a PaymentIntent";
    GET "/v1/payment_intents" payment_intents::list, "GetPaymentIntents", List(Some(PAYMENT_INTENT)), "List PaymentIntents";
    GET "/v1/payment_intents/{id}" payment_intents::retrieve, "GetPaymentIntentsId", Object(PAYMENT_INTENT), "Retrieve a PaymentIntent";
    POST "/v1/payment_intents/{id}" payment_intents::update_pi, "PostPaymentIntentsId", Object(PAYMENT_INTENT), "Update a PaymentIntent";
    POST "/v1/payment_intents/{id}/confirm" payment_intents::confirm, "PostPaymentIntentsIdConfirm", Object(PAYMENT_INTENT), "Confirm a PaymentIntent";
    POST "/v1/payment_intents/{id}/capture" payment_intents::capture, "PostPaymentIntentsIdCapture", Object(PAYMENT_INTENT), "Capture a PaymentIntent";
    POST "/v1/payment_intents/{id}/cancel" payment_intents::cancel, "PostPaymentIntentsIdCancel", Object(PAYMENT_INTENT), "Cancel a PaymentIntent";
    POST "/v1/setup_intents" setup_intents::create, "PostSetupIntents", Object(SETUP_INTENT), "Create a SetupIntent";
    GET "/v1/setup_intents" setup_intents::list, "GetSetupIntents", List(Some(SETUP_INTENT)), "List SetupIntents";
    GET "/v1/setup_intents/{id}" setup_intents::retrieve, "GetSetupIntentsId", Object(SETUP_INTENT), "Retrieve a SetupIntent";
    POST "/v1/setup_intents/{id}" setup_intents::update, "PostSetupIntentsId", Object(SETUP_INTENT), "Update a SetupIntent";
    POST "/v1/setup_intents/{id}/confirm" setup_intents::confirm, "PostSetupIntentsIdConfirm", Object(SETUP_INTENT), "Confirm a SetupIntent";
    POST "/v1/setup_intents/{id}/cancel" setup_intents::cancel, "PostSetupIntentsIdCancel", Object(SETUP_INTENT), "Cancel a SetupIntent";
    POST "/v1/tokens" tokens::create, "PostTokens", Object(TOKEN), "Create a card token from an Apple Pay or Samsung Pay wallet token";
    GET "/v1/tokens/{id}" tokens::retrieve, "GetTokensId", Object(TOKEN), "Retrieve a token";
    GET "/v1/charges" refunds::list_charges, "GetCharges", List(Some(CHARGE)), "List charges";
    GET "/v1/charges/{id}" refunds::retrieve_charge, "GetChargesId", Object(CHARGE), "Retrieve a charge";
    POST "/v1/refunds" refunds::create, "PostRefunds", Object(REFUND), "Create a refund";
    GET "/v1/refunds" refunds::list, "GetRefunds", List(Some(REFUND)), "List refunds";
    GET "/v1/refunds/{id}" refunds::retrieve, "GetRefundsId", Object(REFUND), "Retrieve a refund";
    POST "/v1/refunds/{id}" refunds::update, "PostRefundsId", Object(REFUND), "Update a refund";
    POST "/v1/customers" customers::create, "PostCustomers", Object(CUSTOMER), "Create a customer";
    GET "/v1/customers" customers::list, "GetCustomers", List(Some(CUSTOMER)), "List customers";
    GET "/v1/customers/{id}" customers::retrieve, "GetCustomersId", Object(CUSTOMER), "Retrieve a customer";
    POST "/v1/customers/{id}" customers::update, "PostCustomersId", Object(CUSTOMER), "Update a customer";
    DELETE "/v1/customers/{id}" customers::delete, "DeleteCustomersId", Object(CUSTOMER), "Delete a customer";
    GET "/v1/customers/{id}/payment_methods" payment_methods::list_for_customer, "GetCustomersIdPaymentMethods", List(Some(PAYMENT_METHOD)), "List a customer's PaymentMethods";
    POST "/v1/payment_methods" payment_methods::create, "PostPaymentMethods", Object(PAYMENT_METHOD), "Create a PaymentMethod";
    GET "/v1/payment_methods" payment_methods::list, "GetPaymentMethods", List(Some(PAYMENT_METHOD)), "List PaymentMethods";
    GET "/v1/payment_methods/{id}" payment_methods::retrieve, "GetPaymentMethodsId", Object(PAYMENT_METHOD), "Retrieve a PaymentMethod";
    POST "/v1/payment_methods/{id}" payment_methods::update, "PostPaymentMethodsId", Object(PAYMENT_METHOD), "Update a PaymentMethod";
    POST "/v1/payment_methods/{id}/attach" payment_methods::attach, "PostPaymentMethodsIdAttach", Object(PAYMENT_METHOD), "Attach a PaymentMethod to a customer";
    POST "/v1/payment_methods/{id}/detach" payment_methods::detach, "PostPaymentMethodsIdDetach", Object(PAYMENT_METHOD), "Detach a PaymentMethod";
    GET "/v1/events" events::list, "GetEvents", List(Some(EVENT)), "List events";
    GET "/v1/events/{id}" events::retrieve, "GetEventsId", Object(EVENT), "Retrieve an event";
    GET "/v1/events/{id}/delivery_attempts" events::attempts, "GetEventsIdDeliveryAttempts", List(Some(DELIVERY_ATTEMPT)), "List an event's webhook delivery attempts";
    POST "/v1/webhook_endpoints" webhook_endpoints::create, "PostWebhookEndpoints", Object(WEBHOOK_ENDPOINT), "Create a webhook endpoint";
    GET "/v1/webhook_endpoints" webhook_endpoints::list, "GetWebhookEndpoints", List(Some(WEBHOOK_ENDPOINT)), "List webhook endpoints";
    GET "/v1/webhook_endpoints/{id}" webhook_endpoints::retrieve, "GetWebhookEndpointsId", Object(WEBHOOK_ENDPOINT), "Retrieve a webhook endpoint";
    POST "/v1/webhook_endpoints/{id}" webhook_endpoints::update, "PostWebhookEndpointsId", Object(WEBHOOK_ENDPOINT), "Update a webhook endpoint";
    DELETE "/v1/webhook_endpoints/{id}" webhook_endpoints::delete, "DeleteWebhookEndpointsId", Object(WEBHOOK_ENDPOINT), "Delete a webhook endpoint";
    POST "/v1/webhook_endpoints/{id}/resend" webhook_endpoints::resend, "PostWebhookEndpointsIdResend", Object(RESEND), "Resend an event to a webhook endpoint";
    POST "/v1/checkout/sessions" checkout_sessions::create, "PostCheckoutSessions", Object(CHECKOUT_SESSION), "Create a Checkout Session";
    GET "/v1/checkout/sessions" checkout_sessions::list, "GetCheckoutSessions", List(Some(CHECKOUT_SESSION)), "List Checkout Sessions";
    GET "/v1/checkout/sessions/{id}" checkout_sessions::retrieve, "GetCheckoutSessionsId", Object(CHECKOUT_SESSION), "Retrieve a Checkout Session";
    POST "/v1/checkout/sessions/{id}/expire" checkout_sessions::expire, "PostCheckoutSessionsIdExpire", Object(CHECKOUT_SESSION), "Expire a Checkout Session";
    GET "/v1/checkout/sessions/{id}/line_items" checkout_sessions::line_items, "GetCheckoutSessionsIdLineItems", List(Some(LINE_ITEM)), "List a Checkout Session's line items";
    GET "/v1/balance" balance::retrieve, "GetBalance", Object(BALANCE), "Retrieve the balance";
    GET "/v1/balance_transactions" balance::list_txns, "GetBalanceTransactions", List(Some(BALANCE_TRANSACTION)), "List balance transactions";
    GET "/v1/balance_transactions/{id}" balance::retrieve_txn, "GetBalanceTransactionsId", Object(BALANCE_TRANSACTION), "Retrieve a balance transaction";
    POST "/v1/payouts" balance::create_payout, "PostPayouts", Object(PAYOUT), "Create a payout";
    GET "/v1/payouts" balance::list_payouts, "GetPayouts", List(Some(PAYOUT)), "List payouts";
    GET "/v1/payouts/{id}" balance::retrieve_payout, "GetPayoutsId", Object(PAYOUT), "Retrieve a payout";
    GET "/v1/test_helpers/faults" test_faults::retrieve, "GetTestHelpersFaults", Object(FAULTS), "Test mode: the injected faults";
    POST "/v1/test_helpers/faults" test_faults::update, "PostTestHelpersFaults", Object(FAULTS), "Test mode: set injected faults";
    GET "/v1/test_helpers/sms_messages" test_sms::list, "GetTestHelpersSmsMessages", List(None), "Test mode: SMS messages sent to a phone";
    GET "/v1/test_helpers/test_clock" test_clock::retrieve, "GetTestHelpersTestClock", Object(TEST_CLOCK), "Test mode: the test clock";
    POST "/v1/test_helpers/virtual_accounts/{account_number}/deposit" test_virtual_accounts::deposit, "PostTestHelpersVirtualAccountsDeposit", Object(PAYMENT_INTENT), "Test mode: a payer's deposit into a virtual account";
    POST "/v1/test_helpers/test_clock/advance" test_clock::advance, "PostTestHelpersTestClockAdvance", Object(TEST_CLOCK), "Test mode: advance the test clock";
}
