//! What an authorization charges ([`AuthPayment`]): the PaymentMethod it names, the writes
//! that create it, the data its connector needs ([`PaymentMethodData`]) and the
//! `payment_method_details` of the charge it makes. One variant per kind of payment data;
//! the engine's `Authorize` carries one and never looks inside beyond these methods, so a new
//! method adds a variant here (and in `PaymentMethodData`) and the compiler lists the arms.

use crate::cards::AuthCard;
use crate::methods::PaymentMethodKind;
use crate::methods::bank_transfer::TransferPayment;
use crate::methods::mobile_carrier::CarrierPayment;
use paygate_ledger::Counterparty;
use paygate_payments::PaymentMethodData;
use paygate_store::Op;
use serde_json::Value;

/// The payment an `Authorize` charges.
pub enum AuthPayment {
    /// A card (keyed, saved, ISP-verified or from a 간편결제 wallet): the card network.
    Card(AuthCard),
    /// 휴대폰 소액결제: the carrier's pending payment, confirmed by the subscriber's code.
    MobileCarrier(CarrierPayment),
    /// 계좌이체: the bank's order the payer approved on their bank's page.
    BankTransfer(TransferPayment),
}

/// The network's names of an answer: (transaction id, approval code).
pub type NetIds<'a> = (Option<&'a str>, Option<&'a str>);

impl AuthPayment {
    /// The method, which names the counterparty whose connector authorizes it.
    pub fn kind(&self) -> PaymentMethodKind {
        match self {
            AuthPayment::Card(_) => PaymentMethodKind::Card,
            AuthPayment::MobileCarrier(_) => PaymentMethodKind::MobileCarrier,
            AuthPayment::BankTransfer(_) => PaymentMethodKind::BankTransfer,
        }
    }

    /// The counterparty whose connector authorizes this payment.
    pub fn counterparty(&self) -> Counterparty {
        self.kind().counterparty()
    }

    /// The id of the PaymentMethod the intent and its charge name.
    pub fn pm_id(&self) -> &str {
        match self {
            AuthPayment::Card(c) => &c.pm_id,
            AuthPayment::MobileCarrier(m) => &m.pm_id,
            AuthPayment::BankTransfer(t) => &t.pm_id,
        }
    }

    /// The stored PaymentMethod document (shown, public view, in a decline's error).
    pub fn pm(&self) -> &Value {
        match self {
            AuthPayment::Card(c) => &c.pm,
            AuthPayment::MobileCarrier(m) => &m.pm,
            AuthPayment::BankTransfer(t) => &t.pm,
        }
    }

    /// Writes that create the PaymentMethod (and its vault record), committed in phase 1.
    pub fn new_ops(&self) -> &[Op] {
        match self {
            AuthPayment::Card(c) => &c.new_ops,
            AuthPayment::MobileCarrier(m) => &m.new_ops,
            AuthPayment::BankTransfer(t) => &t.new_ops,
        }
    }

    /// The new card's record in the remote vault, to discard if the new ops are not written.
    pub fn sealed(&self) -> &[crate::card_vault::RemoteRecord] {
        match self {
            AuthPayment::Card(c) => c.sealed.as_slice(),
            AuthPayment::MobileCarrier(_) | AuthPayment::BankTransfer(_) => &[],
        }
    }

    /// The card, when this is one (3-D Secure, CVC checks, credential on file).
    pub fn card(&self) -> Option<&AuthCard> {
        match self {
            AuthPayment::Card(c) => Some(c),
            AuthPayment::MobileCarrier(_) | AuthPayment::BankTransfer(_) => None,
        }
    }

    /// The data the connector builds its request from (secrets borrowed, never copied).
    pub fn data(&self) -> PaymentMethodData<'_> {
        match self {
            AuthPayment::Card(c) => PaymentMethodData::Card {
                pan: &c.pan,
                expiry: &c.expiry,
                cvc: c.cvc.as_ref(),
            },
            AuthPayment::MobileCarrier(m) => PaymentMethodData::MobileCarrier {
                carrier: m.carrier.as_str(),
                transaction: &m.transaction,
            },
            AuthPayment::BankTransfer(t) => PaymentMethodData::BankTransfer {
                bank_code: &t.bank_code,
                order_id: &t.order_id,
            },
        }
    }

    /// The charge's `payment_method_details` (`cvc_check`: the card's CVC result, if any).
    pub fn charge_details(&self, net: NetIds<'_>, cvc_check: Option<&str>) -> Value {
        match self {
            AuthPayment::Card(c) => super::charge::card_details(c, net, cvc_check),
            AuthPayment::MobileCarrier(m) => m.charge_details(net.0),
            AuthPayment::BankTransfer(t) => t.charge_details(net.0),
        }
    }
}
