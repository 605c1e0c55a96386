//! Moving a process test's world through time: the gateway (`paygate serve --test-clock`,
//! `POST /v1/test_helpers/test_clock/advance`) and each simulator process started with
//! `--test-clock --admin-listen ADDR` (`POST /clock/advance` on its admin listener).

use serde_json::Value;

/// The gateway's test clock: `{"object":"test_clock","now","offset_seconds"}`.
pub async fn gateway_clock(base: &str, key: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .get(format!("{base}/v1/test_helpers/test_clock"))
        .bearer_auth(key)
        .send()
        .await
        .expect("GET test_clock");
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// `POST /v1/test_helpers/test_clock/advance` with `form` (`seconds=N` or `to=T`).
pub async fn advance_gateway(base: &str, key: &str, form: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{base}/v1/test_helpers/test_clock/advance"))
        .bearer_auth(key)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_owned())
        .send()
        .await
        .expect("POST test_clock/advance");
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// `POST {admin}/clock/advance` on a simulator's admin listener (`http://ADDR`).
pub async fn advance_sim(admin: &str, form: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{admin}/clock/advance"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_owned())
        .send()
        .await
        .expect("POST /clock/advance");
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// Moves the gateway at `base` and every simulator admin URL in `sims` to Unix second `to`
/// (none may already be past it); returns the clock objects they answered, gateway first.
pub async fn advance_everything_to(base: &str, key: &str, sims: &[&str], to: i64) -> Vec<Value> {
    let form = format!("to={to}");
    let (status, gateway) = advance_gateway(base, key, &form).await;
    assert_eq!(status, 200, "gateway test clock: {gateway}");
    let mut views = vec![gateway];
    for admin in sims {
        let (status, sim) = advance_sim(admin, &form).await;
        assert_eq!(status, 200, "{admin} test clock: {sim}");
        views.push(sim);
    }
    views
}
