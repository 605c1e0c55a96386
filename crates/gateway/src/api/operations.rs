//! The merchant API's route table: every operation once, with its method, path, id, summary,
//! what it returns and the parser's declaration of its parameters. The router (`routes`) and the OpenAPI document (`api::openapi`) are
//! both built from this one table, so a route cannot exist without being documented.
//!
//! Why a table and not `utoipa`'s `#[utoipa::path]`: the handlers parse their parameters
//! dynamically (a form/query bracket tree checked by typed wire structs in `intent_params`,
//! `params::typed`), so per-handler annotations would be a second, hand-kept description of
//! the same routes; here the description *is* the routing.

use crate::api::intent_params as ip;
use crate::api::openapi_params::{ParamsSchema, form, list, none, paging};
use crate::api::setup_intents::tables as si;
use crate::api::{ExpandOnly, NoParams, refund_params};
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
    /// Its parameters (query for GET and DELETE, form body for POST), as the schema of the
    /// wire struct its handler parses them into.
    pub params: ParamsSchema,
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

/// Declares the table: `METHOD "path" handler, "operationId", returns, params, "summary";`.
macro_rules! operations {
    ($($method:ident $path:literal $handler:path, $id:literal, $returns:expr, $params:expr, $summary:literal;)*) => {
        /// Every operation of the merchant API, in document order.
        pub const OPERATIONS: &[Operation] = &[$(Operation {
            method: stringify!($method),
            path: $path,
            operation_id: $id,
            summary: $summary,
            returns: $returns,
            params: $params,
        },)*];

        /// The router of every operation in `OPERATIONS`.
        pub fn routes() -> Router<SharedState> {
            Router::new()$(.route($path, on(MethodFilter::$method, $handler)))*
        }
    };
}

use Returns::{Health, List, Object};

operations! {
    GET "/healthz" super::healthz, "GetHealthz", Health, none, "Liveness: the process answers";
    GET "/readyz" super::readyz, "GetReadyz", Health, none, "Readiness: database, store and card network";
    POST "/v1/payment_intents" payment_intents::create, "PostPaymentIntents", Object(PAYMENT_INTENT), form::<ip::CreateForm>, "Create a PaymentIntent";
    GET "/v1/payment_intents" payment_intents::list, "GetPaymentIntents", List(Some(PAYMENT_INTENT)), list::<payment_intents::PiFilters>, "List PaymentIntents";
    GET "/v1/payment_intents/{id}" payment_intents::retrieve, "GetPaymentIntentsId", Object(PAYMENT_INTENT), form::<ip::RetrieveForm>, "Retrieve a PaymentIntent";
    POST "/v1/payment_intents/{id}" payment_intents::update_pi, "PostPaymentIntentsId", Object(PAYMENT_INTENT), form::<ip::UpdateForm>, "Update a PaymentIntent";
    POST "/v1/payment_intents/{id}/confirm" payment_intents::confirm, "PostPaymentIntentsIdConfirm", Object(PAYMENT_INTENT), form::<ip::ConfirmForm>, "Confirm a PaymentIntent";
    POST "/v1/payment_intents/{id}/capture" payment_intents::capture, "PostPaymentIntentsIdCapture", Object(PAYMENT_INTENT), form::<ip::CaptureForm>, "Capture a PaymentIntent";
    POST "/v1/payment_intents/{id}/cancel" payment_intents::cancel, "PostPaymentIntentsIdCancel", Object(PAYMENT_INTENT), form::<ip::CancelForm>, "Cancel a PaymentIntent";
    POST "/v1/setup_intents" setup_intents::create, "PostSetupIntents", Object(SETUP_INTENT), form::<si::Create>, "Create a SetupIntent";
    GET "/v1/setup_intents" setup_intents::list, "GetSetupIntents", List(Some(SETUP_INTENT)), list::<setup_intents::SiFilters>, "List SetupIntents";
    GET "/v1/setup_intents/{id}" setup_intents::retrieve, "GetSetupIntentsId", Object(SETUP_INTENT), form::<si::Retrieve>, "Retrieve a SetupIntent";
    POST "/v1/setup_intents/{id}" setup_intents::update, "PostSetupIntentsId", Object(SETUP_INTENT), form::<si::Update>, "Update a SetupIntent";
    POST "/v1/setup_intents/{id}/confirm" setup_intents::confirm, "PostSetupIntentsIdConfirm", Object(SETUP_INTENT), form::<si::Confirm>, "Confirm a SetupIntent";
    POST "/v1/setup_intents/{id}/cancel" setup_intents::cancel, "PostSetupIntentsIdCancel", Object(SETUP_INTENT), form::<si::Cancel>, "Cancel a SetupIntent";
    POST "/v1/tokens" tokens::create, "PostTokens", Object(TOKEN), form::<tokens::TokenParams>, "Create a card token from an Apple Pay or Samsung Pay wallet token";
    GET "/v1/tokens/{id}" tokens::retrieve, "GetTokensId", Object(TOKEN), form::<ExpandOnly>, "Retrieve a token";
    GET "/v1/charges" refunds::list_charges, "GetCharges", List(Some(CHARGE)), list::<refunds::ChargeFilters>, "List charges";
    GET "/v1/charges/{id}" refunds::retrieve_charge, "GetChargesId", Object(CHARGE), form::<ExpandOnly>, "Retrieve a charge";
    POST "/v1/refunds" refunds::create, "PostRefunds", Object(REFUND), form::<refund_params::CreateForm>, "Create a refund";
    GET "/v1/refunds" refunds::list, "GetRefunds", List(Some(REFUND)), list::<refunds::RefundFilters>, "List refunds";
    GET "/v1/refunds/{id}" refunds::retrieve, "GetRefundsId", Object(REFUND), form::<ExpandOnly>, "Retrieve a refund";
    POST "/v1/refunds/{id}" refunds::update, "PostRefundsId", Object(REFUND), form::<refund_params::UpdateForm>, "Update a refund";
    POST "/v1/customers" customers::create, "PostCustomers", Object(CUSTOMER), form::<customers::CustomerParams>, "Create a customer";
    GET "/v1/customers" customers::list, "GetCustomers", List(Some(CUSTOMER)), list::<customers::CustomerFilters>, "List customers";
    GET "/v1/customers/{id}" customers::retrieve, "GetCustomersId", Object(CUSTOMER), form::<ExpandOnly>, "Retrieve a customer";
    POST "/v1/customers/{id}" customers::update, "PostCustomersId", Object(CUSTOMER), form::<customers::CustomerParams>, "Update a customer";
    DELETE "/v1/customers/{id}" customers::delete, "DeleteCustomersId", Object(CUSTOMER), form::<NoParams>, "Delete a customer";
    GET "/v1/customers/{id}/payment_methods" payment_methods::list_for_customer, "GetCustomersIdPaymentMethods", List(Some(PAYMENT_METHOD)), list::<payment_methods::PmTypeFilter>, "List a customer's PaymentMethods";
    POST "/v1/payment_methods" payment_methods::create, "PostPaymentMethods", Object(PAYMENT_METHOD), form::<payment_methods::CreateParams>, "Create a PaymentMethod";
    GET "/v1/payment_methods" payment_methods::list, "GetPaymentMethods", List(Some(PAYMENT_METHOD)), list::<payment_methods::PmFilters>, "List PaymentMethods";
    GET "/v1/payment_methods/{id}" payment_methods::retrieve, "GetPaymentMethodsId", Object(PAYMENT_METHOD), form::<ExpandOnly>, "Retrieve a PaymentMethod";
    POST "/v1/payment_methods/{id}" payment_methods::update, "PostPaymentMethodsId", Object(PAYMENT_METHOD), form::<payment_methods::UpdateParams>, "Update a PaymentMethod";
    POST "/v1/payment_methods/{id}/attach" payment_methods::attach, "PostPaymentMethodsIdAttach", Object(PAYMENT_METHOD), form::<payment_methods::AttachParams>, "Attach a PaymentMethod to a customer";
    POST "/v1/payment_methods/{id}/detach" payment_methods::detach, "PostPaymentMethodsIdDetach", Object(PAYMENT_METHOD), form::<ExpandOnly>, "Detach a PaymentMethod";
    GET "/v1/events" events::list, "GetEvents", List(Some(EVENT)), list::<events::EventFilters>, "List events";
    GET "/v1/events/{id}" events::retrieve, "GetEventsId", Object(EVENT), form::<ExpandOnly>, "Retrieve an event";
    GET "/v1/events/{id}/delivery_attempts" events::attempts, "GetEventsIdDeliveryAttempts", List(Some(DELIVERY_ATTEMPT)), form::<NoParams>, "List an event's webhook delivery attempts";
    POST "/v1/webhook_endpoints" webhook_endpoints::create, "PostWebhookEndpoints", Object(WEBHOOK_ENDPOINT), form::<webhook_endpoints::CreateParams>, "Create a webhook endpoint";
    GET "/v1/webhook_endpoints" webhook_endpoints::list, "GetWebhookEndpoints", List(Some(WEBHOOK_ENDPOINT)), paging, "List webhook endpoints";
    GET "/v1/webhook_endpoints/{id}" webhook_endpoints::retrieve, "GetWebhookEndpointsId", Object(WEBHOOK_ENDPOINT), form::<ExpandOnly>, "Retrieve a webhook endpoint";
    POST "/v1/webhook_endpoints/{id}" webhook_endpoints::update, "PostWebhookEndpointsId", Object(WEBHOOK_ENDPOINT), form::<webhook_endpoints::UpdateParams>, "Update a webhook endpoint";
    DELETE "/v1/webhook_endpoints/{id}" webhook_endpoints::delete, "DeleteWebhookEndpointsId", Object(WEBHOOK_ENDPOINT), form::<NoParams>, "Delete a webhook endpoint";
    POST "/v1/webhook_endpoints/{id}/resend" webhook_endpoints::resend, "PostWebhookEndpointsIdResend", Object(RESEND), form::<webhook_endpoints::ResendParams>, "Resend an event to a webhook endpoint";
    POST "/v1/checkout/sessions" checkout_sessions::create, "PostCheckoutSessions", Object(CHECKOUT_SESSION), form::<crate::checkout::params::table::Create>, "Create a Checkout Session";
    GET "/v1/checkout/sessions" checkout_sessions::list, "GetCheckoutSessions", List(Some(CHECKOUT_SESSION)), list::<checkout_sessions::SessionFilters>, "List Checkout Sessions";
    GET "/v1/checkout/sessions/{id}" checkout_sessions::retrieve, "GetCheckoutSessionsId", Object(CHECKOUT_SESSION), form::<NoParams>, "Retrieve a Checkout Session";
    POST "/v1/checkout/sessions/{id}/expire" checkout_sessions::expire, "PostCheckoutSessionsIdExpire", Object(CHECKOUT_SESSION), form::<NoParams>, "Expire a Checkout Session";
    GET "/v1/checkout/sessions/{id}/line_items" checkout_sessions::line_items, "GetCheckoutSessionsIdLineItems", List(Some(LINE_ITEM)), form::<checkout_sessions::LineItemsQuery>, "List a Checkout Session's line items";
    GET "/v1/balance" balance::retrieve, "GetBalance", Object(BALANCE), form::<NoParams>, "Retrieve the balance";
    GET "/v1/balance_transactions" balance::list_txns, "GetBalanceTransactions", List(Some(BALANCE_TRANSACTION)), list::<balance::TxnFilters>, "List balance transactions";
    GET "/v1/balance_transactions/{id}" balance::retrieve_txn, "GetBalanceTransactionsId", Object(BALANCE_TRANSACTION), form::<ExpandOnly>, "Retrieve a balance transaction";
    POST "/v1/payouts" balance::create_payout, "PostPayouts", Object(PAYOUT), form::<balance::PayoutParams>, "Create a payout";
    GET "/v1/payouts" balance::list_payouts, "GetPayouts", List(Some(PAYOUT)), list::<balance::PayoutFilters>, "List payouts";
    GET "/v1/payouts/{id}" balance::retrieve_payout, "GetPayoutsId", Object(PAYOUT), form::<ExpandOnly>, "Retrieve a payout";
    GET "/v1/test_helpers/faults" test_faults::retrieve, "GetTestHelpersFaults", Object(FAULTS), none, "Test mode: the injected faults";
    POST "/v1/test_helpers/faults" test_faults::update, "PostTestHelpersFaults", Object(FAULTS), form::<test_faults::FaultParams>, "Test mode: set injected faults";
    GET "/v1/test_helpers/sms_messages" test_sms::list, "GetTestHelpersSmsMessages", List(None), form::<test_sms::SmsQuery>, "Test mode: SMS messages sent to a phone";
    GET "/v1/test_helpers/test_clock" test_clock::retrieve, "GetTestHelpersTestClock", Object(TEST_CLOCK), none, "Test mode: the test clock";
    POST "/v1/test_helpers/virtual_accounts/{account_number}/deposit" test_virtual_accounts::deposit, "PostTestHelpersVirtualAccountsDeposit", Object(PAYMENT_INTENT), form::<test_virtual_accounts::DepositForm>, "Test mode: a payer's deposit into a virtual account";
    POST "/v1/test_helpers/test_clock/advance" test_clock::advance, "PostTestHelpersTestClockAdvance", Object(TEST_CLOCK), form::<test_clock::AdvanceParams>, "Test mode: advance the test clock";
}
