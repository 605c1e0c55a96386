//! Configuration of a [`super::Link`], with its documented defaults and checks.

use paygate_iso8583::Profile;

use super::LinkError;
use super::pending::MAX_STAN;

/// Default bound on requests awaiting an answer on one link.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 2048;
/// Largest accepted `max_in_flight`: well below the STAN space so that the allocator always finds
/// a free STAN quickly.
pub const MAX_IN_FLIGHT_LIMIT: usize = 100_000;
/// Default time a request waits for its answer (and for an in-flight slot), in milliseconds.
pub const DEFAULT_REQUEST_TIMEOUT_MS: u64 = 5_000;
/// Default idle time after which an 0800 echo is sent, in milliseconds.
pub const DEFAULT_ECHO_INTERVAL_MS: u64 = 30_000;
/// Default ceiling of the reconnect backoff, in milliseconds.
pub const DEFAULT_RECONNECT_BACKOFF_MS_MAX: u64 = 5_000;
/// Default first delay between two reversal attempts, in milliseconds.
pub const DEFAULT_REVERSAL_RETRY_MS: u64 = 1_000;
/// Default ceiling of the reversal backoff, in milliseconds.
pub const DEFAULT_REVERSAL_BACKOFF_MS_MAX: u64 = 60_000;
/// Default total time a reversal keeps being repeated before it is abandoned (24 hours), in
/// milliseconds. Past that, the gateway's reconciliation against the network journal takes over.
pub const DEFAULT_REVERSAL_MAX_MS: u64 = 24 * 60 * 60 * 1_000;
/// Default time allowed for one TCP connect, in milliseconds.
pub const DEFAULT_CONNECT_TIMEOUT_MS: u64 = 3_000;

/// Width of a terminal id (DE 41, ans8).
const TERMINAL_ID_CHARS: usize = 8;
/// Longest acquirer id (DE 32, n..11).
const MAX_ACQUIRER_ID_DIGITS: usize = 11;

/// How a [`super::Link`] connects and behaves. Build one with [`LinkConfig::new`] and adjust
/// fields as needed; [`super::Link::connect`] checks them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkConfig {
    /// `host:port` of the acquirer host (or simulator).
    pub addr: String,
    /// Wire profile both sides use.
    pub profile: Profile,
    /// DE 41: 8 printable characters, unique per gateway process so STANs never collide.
    pub terminal_id: String,
    /// DE 32: 1..=11 digits.
    pub acquirer_id: String,
    /// Most requests awaiting an answer at once (1..=[`MAX_IN_FLIGHT_LIMIT`]).
    pub max_in_flight: usize,
    /// Time a request waits for its answer, and for a free in-flight slot, in milliseconds.
    pub request_timeout_ms: u64,
    /// Idle time after which an 0800 echo (DE 70 = 301) checks the connection, in milliseconds.
    pub echo_interval_ms: u64,
    /// Ceiling of the exponential reconnect backoff, in milliseconds.
    pub reconnect_backoff_ms_max: u64,
    /// First delay between reversal attempts; doubles up to `reversal_backoff_ms_max`.
    pub reversal_retry_ms: u64,
    /// Ceiling of the reversal backoff, in milliseconds.
    pub reversal_backoff_ms_max: u64,
    /// Total time a reversal is repeated before [`LinkError::ReversalAbandoned`], in milliseconds.
    pub reversal_max_ms: u64,
    /// Time allowed for one TCP connect, in milliseconds.
    pub connect_timeout_ms: u64,
}

impl LinkConfig {
    /// A configuration with the ASCII profile and the `DEFAULT_*` values of this module:
    /// 2,048 in flight, 5 s request timeout, 30 s echo interval, reconnect backoff up to 5 s,
    /// reversals repeated from 1 s up to every 60 s for at most 24 h, 3 s connect timeout.
    pub fn new(
        addr: impl Into<String>,
        terminal_id: impl Into<String>,
        acquirer_id: impl Into<String>,
    ) -> Self {
        LinkConfig {
            addr: addr.into(),
            profile: Profile::Ascii,
            terminal_id: terminal_id.into(),
            acquirer_id: acquirer_id.into(),
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            request_timeout_ms: DEFAULT_REQUEST_TIMEOUT_MS,
            echo_interval_ms: DEFAULT_ECHO_INTERVAL_MS,
            reconnect_backoff_ms_max: DEFAULT_RECONNECT_BACKOFF_MS_MAX,
            reversal_retry_ms: DEFAULT_REVERSAL_RETRY_MS,
            reversal_backoff_ms_max: DEFAULT_REVERSAL_BACKOFF_MS_MAX,
            reversal_max_ms: DEFAULT_REVERSAL_MAX_MS,
            connect_timeout_ms: DEFAULT_CONNECT_TIMEOUT_MS,
        }
    }

    /// Checks every field against its rule.
    pub fn validate(&self) -> Result<(), LinkError> {
        let bad = |field: &'static str, rule: &str| {
            Err(LinkError::InvalidConfig {
                field,
                rule: rule.to_owned(),
            })
        };
        let tid = &self.terminal_id;
        if tid.len() != TERMINAL_ID_CHARS || !tid.bytes().all(|b| b.is_ascii_graphic()) {
            return bad(
                "terminal_id",
                "must be 8 printable ASCII characters without spaces",
            );
        }
        let acq = &self.acquirer_id;
        if acq.is_empty()
            || acq.len() > MAX_ACQUIRER_ID_DIGITS
            || !acq.bytes().all(|b| b.is_ascii_digit())
        {
            return bad("acquirer_id", "must be 1..=11 digits");
        }
        if !(1..=MAX_IN_FLIGHT_LIMIT).contains(&self.max_in_flight) {
            return bad("max_in_flight", "must be in 1..=100000");
        }
        let positive = [
            ("request_timeout_ms", self.request_timeout_ms),
            ("echo_interval_ms", self.echo_interval_ms),
            ("reconnect_backoff_ms_max", self.reconnect_backoff_ms_max),
            ("reversal_retry_ms", self.reversal_retry_ms),
            ("reversal_backoff_ms_max", self.reversal_backoff_ms_max),
            ("reversal_max_ms", self.reversal_max_ms),
            ("connect_timeout_ms", self.connect_timeout_ms),
        ];
        if let Some((field, _)) = positive.into_iter().find(|(_, v)| *v == 0) {
            return bad(field, "must be greater than 0");
        }
        debug_assert!(MAX_IN_FLIGHT_LIMIT < MAX_STAN as usize);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_fields_are_named() {
        let ok = LinkConfig::new("127.0.0.1:1", "PGTEST01", "123456");
        ok.validate().unwrap();
        let cases = [
            (
                LinkConfig {
                    terminal_id: "SHORT".into(),
                    ..ok.clone()
                },
                "terminal_id",
            ),
            (
                LinkConfig {
                    terminal_id: "WITH SPC".into(),
                    ..ok.clone()
                },
                "terminal_id",
            ),
            (
                LinkConfig {
                    acquirer_id: "12a".into(),
                    ..ok.clone()
                },
                "acquirer_id",
            ),
            (
                LinkConfig {
                    max_in_flight: 0,
                    ..ok.clone()
                },
                "max_in_flight",
            ),
            (
                LinkConfig {
                    request_timeout_ms: 0,
                    ..ok.clone()
                },
                "request_timeout_ms",
            ),
            (
                LinkConfig {
                    reversal_max_ms: 0,
                    ..ok.clone()
                },
                "reversal_max_ms",
            ),
        ];
        for (cfg, field) in cases {
            match cfg.validate() {
                Err(LinkError::InvalidConfig { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
    }
}
