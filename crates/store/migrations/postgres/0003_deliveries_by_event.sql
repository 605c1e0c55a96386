-- `GET /v1/events?delivery_success=` asks, for each listed event, whether any of its
-- deliveries has not succeeded (an EXISTS on deliveries by event, merchant and state):
-- without this index that is a scan of every delivery per event.
CREATE INDEX deliveries_by_event ON deliveries (event_id, merchant_id, state);
