//! One lane per webhook endpoint: its own keep-alive client, a short queue of leased
//! deliveries, at most [`IN_FLIGHT_PER_ENDPOINT_MAX`] requests in flight, and a circuit
//! breaker. Lanes never wait for one another, so a slow or failing endpoint delays only itself.

use super::connect::{self, HttpClient};
use super::guard::Dns;
use paygate_store::DeliveryJob;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Requests in flight to one endpoint (also its keep-alive pool size): a receiver with a
/// small accept backlog never sees more connection attempts than this from one gateway.
pub const IN_FLIGHT_PER_ENDPOINT_MAX: usize = 4;
/// Most leased deliveries queued for one endpoint (fast endpoints; slow ones get fewer).
const QUEUED_PER_ENDPOINT_MAX: usize = 256;
/// Consecutive failures (non-2xx, timeout, refused connection) that open the breaker.
pub const BREAKER_FAILURES: u32 = 3;
/// How long an open breaker holds an endpoint's deliveries back; doubles per trip.
const BREAKER_OPEN_MS_BASE: u64 = 30_000;
const BREAKER_OPEN_MS_MAX: u64 = 600_000;
/// An idle lane (nothing queued or in flight, breaker closed) is forgotten after this.
const LANE_IDLE_S: u64 = 300;
/// Most lanes held at once; more endpoints wait for idle lanes to be forgotten.
pub const LANES_MAX: usize = 10_000;

/// A delivery leased to this worker, waiting for a slot on its lane.
pub struct Queued {
    pub job: DeliveryJob,
    pub leased_at: Instant,
}

struct Lane {
    client: Option<HttpClient>,
    queue: VecDeque<Queued>,
    in_flight: usize,
    failures: u32,
    trips: u32,
    open_until: Option<Instant>,
    /// Moving average of the request time, for how much to lease ahead.
    latency_ms: u64,
    /// The last claim got all it asked for: more is probably due.
    more: bool,
    last_active: Instant,
}

/// A delivery ready to send: the job and the lane's client.
pub struct Start {
    pub queued: Queued,
    pub client: HttpClient,
}

/// Every lane of this gateway.
pub struct Lanes {
    map: Mutex<HashMap<String, Lane>>,
    dns: Dns,
    allow_private: bool,
    timeout_ms: u64,
    lease: Duration,
}

impl Lanes {
    pub fn new(dns: Dns, allow_private: bool, timeout_ms: u64, lease: Duration) -> Lanes {
        Lanes {
            map: Mutex::new(HashMap::new()),
            dns,
            allow_private,
            timeout_ms,
            lease,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Lane>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn new_lane(&self) -> Lane {
        Lane {
            client: None,
            queue: VecDeque::new(),
            in_flight: 0,
            failures: 0,
            trips: 0,
            open_until: None,
            // Unknown endpoints are assumed slow until measured: lease little ahead.
            latency_ms: self.timeout_ms,
            more: false,
            last_active: Instant::now(),
        }
    }

    /// How many deliveries to lease for each endpoint in `seen` (newly due) and each lane that
    /// has more due: room left in its queue, none while its breaker is open, one to probe it
    /// once the breaker's time is up.
    pub fn asks(&self, seen: &[String]) -> Vec<(String, usize)> {
        let mut map = self.lock();
        let now = Instant::now();
        map.retain(|_, l| !l.idle_for(now, Duration::from_secs(LANE_IDLE_S)));
        for id in seen {
            if !map.contains_key(id) && map.len() < LANES_MAX {
                map.insert(id.clone(), self.new_lane());
            }
        }
        let mut out = Vec::new();
        for (id, lane) in map.iter_mut() {
            if !lane.more && !seen.contains(id) {
                continue;
            }
            let room = lane
                .capacity(now, self.lease)
                .saturating_sub(lane.queue.len() + lane.in_flight);
            if room > 0 {
                out.push((id.clone(), room));
            }
        }
        out
    }

    /// Queues leased jobs on their lanes; `asks` tells which lanes got all they asked for.
    pub fn enqueue(&self, jobs: Vec<DeliveryJob>, asks: &[(String, usize)]) {
        let mut map = self.lock();
        let leased_at = Instant::now();
        let mut got: HashMap<&str, usize> = HashMap::new();
        for job in &jobs {
            *got.entry(job.endpoint_id.as_str()).or_default() += 1;
        }
        for (id, n) in asks {
            if let Some(lane) = map.get_mut(id) {
                lane.more = got.get(id.as_str()).copied().unwrap_or(0) >= *n;
            }
        }
        drop(got);
        for job in jobs {
            let lane = map
                .entry(job.endpoint_id.clone())
                .or_insert_with(|| self.new_lane());
            lane.queue.push_back(Queued { job, leased_at });
        }
    }

    /// Takes the deliveries that may start now from every lane (or one), counting them in
    /// flight. Deliveries whose lease could run out before they finish are dropped unsent: the
    /// lease lapses and they are claimed again, by this or another gateway.
    pub fn starts(&self, only: Option<&str>) -> Vec<Start> {
        let mut map = self.lock();
        let now = Instant::now();
        let mut out = Vec::new();
        for (id, lane) in map.iter_mut() {
            if only.is_some_and(|o| o != id) {
                continue;
            }
            let limit = lane.in_flight_limit(now);
            while lane.in_flight < limit {
                let Some(q) = lane.queue.pop_front() else {
                    break;
                };
                let deadline = Duration::from_millis(self.timeout_ms) + LEASE_MARGIN;
                if q.leased_at.elapsed() + deadline > self.lease {
                    continue;
                }
                let client = lane
                    .client
                    .get_or_insert_with(|| {
                        connect::client(
                            &self.dns,
                            self.allow_private || !q.job.livemode,
                            self.timeout_ms,
                        )
                    })
                    .clone();
                lane.in_flight += 1;
                lane.last_active = now;
                out.push(Start { queued: q, client });
            }
        }
        out
    }

    /// Records the outcome of one request on its lane. True when the lane has room for more
    /// and more is due (the scheduler should claim again).
    pub fn finish(&self, endpoint_id: &str, ok: bool, took: Duration) -> bool {
        let mut map = self.lock();
        let Some(lane) = map.get_mut(endpoint_id) else {
            return false;
        };
        let now = Instant::now();
        lane.in_flight = lane.in_flight.saturating_sub(1);
        lane.last_active = now;
        let ms = u64::try_from(took.as_millis()).unwrap_or(u64::MAX);
        lane.latency_ms = (lane.latency_ms.saturating_mul(3).saturating_add(ms)) / 4;
        if ok {
            lane.failures = 0;
            lane.trips = 0;
            lane.open_until = None;
        } else {
            lane.failures = lane.failures.saturating_add(1);
            if lane.failures >= BREAKER_FAILURES {
                lane.trips = lane.trips.saturating_add(1);
                let shift = (lane.trips - 1).min(16);
                let open = BREAKER_OPEN_MS_BASE
                    .saturating_mul(1 << shift)
                    .min(BREAKER_OPEN_MS_MAX);
                lane.open_until = Some(now + Duration::from_millis(open));
            }
        }
        lane.more && lane.queue.len() + lane.in_flight < lane.capacity(now, self.lease) / 2
    }
}

/// Time kept in hand between a request's deadline and the end of its lease.
const LEASE_MARGIN: Duration = Duration::from_secs(5);

impl Lane {
    fn breaker_open(&self, now: Instant) -> bool {
        self.open_until.is_some_and(|t| now < t)
    }

    /// Requests allowed in flight: none while open, one probe after, the full limit when closed.
    fn in_flight_limit(&self, now: Instant) -> usize {
        if self.breaker_open(now) {
            0
        } else if self.failures >= BREAKER_FAILURES {
            1
        } else {
            IN_FLIGHT_PER_ENDPOINT_MAX
        }
    }

    /// Deliveries to hold (queued + in flight): as many as finish within half a lease at the
    /// measured request time, between the in-flight limit and the queue maximum.
    fn capacity(&self, now: Instant, lease: Duration) -> usize {
        let limit = self.in_flight_limit(now);
        if limit < IN_FLIGHT_PER_ENDPOINT_MAX {
            return limit;
        }
        let half_lease_ms = u64::try_from(lease.as_millis() / 2).unwrap_or(u64::MAX);
        let per_slot = half_lease_ms / self.latency_ms.max(1);
        let n = usize::try_from(per_slot)
            .unwrap_or(usize::MAX)
            .saturating_mul(limit);
        n.clamp(limit, QUEUED_PER_ENDPOINT_MAX)
    }

    fn idle_for(&self, now: Instant, idle: Duration) -> bool {
        self.queue.is_empty()
            && self.in_flight == 0
            && self.failures == 0
            && now.duration_since(self.last_active) > idle
    }
}
