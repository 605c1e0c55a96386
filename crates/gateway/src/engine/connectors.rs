//! The connectors of one gateway process, one per counterparty ([`Counterparty`]).
//!
//! The engine never talks to "the" counterparty: an authorization goes to the connector of its
//! payment method ([`crate::methods`]), a capture, refund or cancel to the one of the charge's
//! `processor`, and recovery to the one its recovery record names. A counterparty with no
//! connector here is an [`Unregistered`] error — never a panic — so a record written by a build
//! that had one stays in place for an operator.

use paygate_ledger::Counterparty;
use paygate_payments::Connector;
use std::collections::HashMap;
use std::sync::Arc;

/// No connector is registered for this counterparty in this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no connector is registered for the counterparty {}", .0.as_str())]
pub struct Unregistered(pub Counterparty);

impl From<Unregistered> for crate::error::ApiError {
    fn from(e: Unregistered) -> Self {
        crate::error::ApiError::internal(e.to_string())
    }
}

/// The registry: each counterparty's connector.
#[derive(Default, Clone)]
pub struct Connectors {
    by_counterparty: HashMap<Counterparty, Arc<dyn Connector>>,
}

impl Connectors {
    /// An empty registry.
    pub fn new() -> Connectors {
        Connectors::default()
    }

    /// Registers `connector` for the counterparty it names ([`Connector::counterparty`]),
    /// replacing any earlier one for it.
    pub fn register(mut self, connector: Arc<dyn Connector>) -> Connectors {
        self.by_counterparty
            .insert(connector.counterparty(), connector);
        self
    }

    /// The same registry with every connector's calls measured in `links`
    /// ([`crate::metrics::links::MeteredConnector`]).
    pub fn metered(self, links: &Arc<crate::metrics::links::LinkMetrics>) -> Connectors {
        let by_counterparty = self
            .by_counterparty
            .into_iter()
            .map(|(c, inner)| {
                let metered = crate::metrics::links::MeteredConnector::wrap(inner, links.clone());
                (c, metered)
            })
            .collect();
        Connectors { by_counterparty }
    }

    /// The connector of `counterparty`.
    pub fn get(&self, counterparty: Counterparty) -> Result<&Arc<dyn Connector>, Unregistered> {
        self.by_counterparty
            .get(&counterparty)
            .ok_or(Unregistered(counterparty))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unregistered_counterparty_is_a_typed_error_naming_it() {
        let empty = Connectors::new();
        let e = empty.get(Counterparty::CardNetwork).err();
        assert_eq!(e, Some(Unregistered(Counterparty::CardNetwork)));
        assert!(e.unwrap().to_string().contains("card_network"));
        let api: crate::error::ApiError = Unregistered(Counterparty::CardNetwork).into();
        assert!(api.status.is_server_error());
    }
}
