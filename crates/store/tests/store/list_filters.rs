//! `ListFilter`s: document fields, tag sets and prefixes, and event delivery state.

use paygate_store::{ListFilter, ListQuery, Op, Page};
use serde_json::json;

use crate::harness::{TestDb, both_backends, merchants, scope, unit};
use crate::objects::object;

both_backends!(list_filters_match_fields_tags_and_prefixes);

fn ids(page: &Page) -> Vec<&str> {
    page.data.iter().map(|o| o.id.as_str()).collect()
}

async fn list_filters_match_fields_tags_and_prefixes(db: &TestDb) {
    let s = &db.store;
    merchants(s, &["acct_f"]).await;
    let me = scope("acct_f", false);
    let mut ops = Vec::new();
    for (i, (email, deleted, tag)) in [
        ("kim@example.com", false, "charge.succeeded"),
        ("lee@example.com", false, "charge.refunded"),
        ("kim@example.com", true, "customer.created"),
    ]
    .into_iter()
    .enumerate()
    {
        let id = format!("cus_{i}");
        let mut o = object(&id, "acct_f", false, "customer", 1_000 + i as i64);
        o.tag = Some(tag.into());
        o.data = json!({"id": id, "object": "customer", "email": email});
        if deleted {
            o.data["deleted"] = json!(true);
        }
        ops.push(Op::InsertObject(o));
    }
    s.commit(unit(ops)).await.unwrap();
    let me = &me;
    let list = |filters: Vec<ListFilter>| {
        let q = ListQuery {
            filters,
            ..ListQuery::new("customer", 10)
        };
        async move { s.list_objects(me, &q).await.unwrap() }
    };
    let kim = ListFilter::FieldEq {
        field: "email",
        value: "kim@example.com".into(),
    };
    assert_eq!(ids(&list(vec![kim.clone()]).await), ["cus_2", "cus_0"]);
    let alive = ListFilter::FieldAbsent("deleted");
    assert_eq!(ids(&list(vec![kim, alive.clone()]).await), ["cus_0"]);
    assert_eq!(ids(&list(vec![alive]).await), ["cus_1", "cus_0"]);
    let prefix = ListFilter::TagPrefix("charge.".into());
    assert_eq!(ids(&list(vec![prefix]).await), ["cus_1", "cus_0"]);
    let set = ListFilter::TagIn(vec!["customer.created".into(), "charge.succeeded".into()]);
    assert_eq!(ids(&list(vec![set]).await), ["cus_2", "cus_0"]);
    assert!(ids(&list(vec![ListFilter::TagIn(Vec::new())]).await).is_empty());
    // No deliveries at all: every object counts as delivered.
    assert_eq!(
        list(vec![ListFilter::DeliverySuccess(true)])
            .await
            .data
            .len(),
        3
    );
    assert!(
        list(vec![ListFilter::DeliverySuccess(false)])
            .await
            .data
            .is_empty()
    );
    // A field name that is not a plain name is refused, never spliced into SQL.
    let q = ListQuery {
        filters: vec![ListFilter::FieldAbsent("x') OR 1=1 --")],
        ..ListQuery::new("customer", 10)
    };
    assert!(s.list_objects(me, &q).await.is_err());
}
