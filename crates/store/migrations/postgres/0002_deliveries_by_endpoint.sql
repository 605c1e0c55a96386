-- Webhook deliveries are claimed per endpoint (one endpoint's backlog never takes another's
-- places): each claim reads one endpoint's due rows.
CREATE INDEX deliveries_by_endpoint ON deliveries (endpoint_id, state, next_attempt_at);
