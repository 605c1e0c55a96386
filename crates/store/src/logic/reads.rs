//! Queries. Tenant-owned rows are always filtered by merchant and mode.

use crate::error::StoreError;
use crate::limits::LIST_LIMIT_MAX;
use crate::sql::{Dialect, Exec, ExecSql, Param, Row, Sql, SqlBuilder, params};
use crate::types::{
    ApiKeyRow, AttemptRow, IdempotencyRow, ListFilter, ListQuery, MerchantRow, ObjectRow, Page,
    Scope, VaultCardRow,
};

pub(crate) const OBJECT_COLUMNS: &str =
    "id, merchant_id, livemode, kind, parent, tag, due, created, version, data";

static GET_OBJECT: Sql = Sql::new(
    "SELECT id, merchant_id, livemode, kind, parent, tag, due, created, version, data FROM objects \
     WHERE id = $1 AND merchant_id = $2 AND livemode = $3",
);
static FIND_OBJECT: Sql = Sql::new(
    "SELECT id, merchant_id, livemode, kind, parent, tag, due, created, version, data FROM objects \
     WHERE id = $1",
);
static CURSOR_SEQ: Sql = Sql::new(
    "SELECT seq FROM objects WHERE id = $1 AND merchant_id = $2 AND livemode = $3 AND kind = $4",
);
static LIST_DUE: Sql = Sql::new(
    "SELECT id, merchant_id, livemode, kind, parent, tag, due, created, version, data FROM objects \
     WHERE kind = $1 AND tag = $2 AND due IS NOT NULL AND due <= $3 ORDER BY due, seq LIMIT $4",
);
static GET_MERCHANT: Sql =
    Sql::new("SELECT id, name, created, settings FROM merchants WHERE id = $1");
static LIST_MERCHANTS: Sql =
    Sql::new("SELECT id, name, created, settings FROM merchants ORDER BY created, id LIMIT $1");
static FIND_API_KEY: Sql = Sql::new(
    "SELECT id, merchant_id, livemode, kind, key_hash, display, created, revoked_at FROM api_keys WHERE key_hash = $1",
);
static LIST_API_KEYS: Sql = Sql::new(
    "SELECT id, merchant_id, livemode, kind, key_hash, display, created, revoked_at FROM api_keys \
     WHERE merchant_id = $1 ORDER BY created, id LIMIT $2",
);
static GET_IDEMPOTENCY: Sql = Sql::new(
    "SELECT request_hash, state, owner, status, body, created FROM idempotency \
     WHERE merchant_id = $1 AND livemode = $2 AND idem_key = $3",
);
static PRUNE_IDEMPOTENCY: Sql = Sql::new(
    "DELETE FROM idempotency WHERE (merchant_id, livemode, idem_key) IN \
     (SELECT merchant_id, livemode, idem_key FROM idempotency WHERE created < $1 LIMIT $2)",
);
static ATTEMPTS_ALL: Sql = Sql::new(
    "SELECT id, merchant_id, livemode, owner_node, state, created, data FROM attempts ORDER BY created, id LIMIT $1",
);
static ATTEMPTS_OF_NODE: Sql = Sql::new(
    "SELECT id, merchant_id, livemode, owner_node, state, created, data FROM attempts WHERE owner_node = $1 \
     ORDER BY created, id LIMIT $2",
);
static GET_VAULT_CARD: Sql = Sql::new(
    "SELECT id, merchant_id, kek_id, wrapped_dek, ciphertext, fingerprint, created FROM vault_cards WHERE id = $1",
);
static VAULT_CARDS_NOT_UNDER: Sql = Sql::new(
    "SELECT id, merchant_id, kek_id, wrapped_dek, ciphertext, fingerprint, created FROM vault_cards \
     WHERE kek_id <> $1 ORDER BY id LIMIT $2",
);

/// Appends one list filter to a query over `objects`.
pub(crate) fn push_filter<'a>(
    b: &mut SqlBuilder<'a>,
    f: &'a ListFilter,
    dialect: Dialect,
) -> Result<(), StoreError> {
    let field_sql = |field: &str| -> Result<String, StoreError> {
        if field.is_empty() || !field.bytes().all(|c| c.is_ascii_lowercase() || c == b'_') {
            return Err(StoreError::InvalidUnit(format!(
                "list filter field {field:?} is not a plain field name"
            )));
        }
        Ok(match dialect {
            Dialect::Sqlite => format!("json_extract(data, '$.{field}')"),
            Dialect::Postgres => format!("(data::jsonb ->> '{field}')"),
        })
    };
    match f {
        ListFilter::FieldEq { field, value } => {
            b.push(
                &format!(" AND {} = ?", field_sql(field)?),
                Param::from(value),
            );
        }
        ListFilter::FieldAbsent(field) => {
            b.raw(&format!(" AND {} IS NULL", field_sql(field)?));
        }
        ListFilter::TagIn(tags) if tags.is_empty() => {
            b.raw(" AND 1 = 0");
        }
        ListFilter::TagIn(tags) => {
            b.raw(" AND tag IN ");
            let row: Vec<Param<'a>> = tags.iter().map(Param::from).collect();
            b.push_row(&row);
        }
        ListFilter::TagPrefix(prefix) => {
            let n = prefix.chars().count();
            b.push(
                &format!(" AND substr(tag, 1, {n}) = ?"),
                Param::from(prefix),
            );
        }
        ListFilter::DeliverySuccess(ok) => {
            let not = if *ok { "NOT " } else { "" };
            b.raw(&format!(
                " AND {not}EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = objects.id \
                 AND d.merchant_id = objects.merchant_id AND d.state <> 'succeeded')"
            ));
        }
    }
    Ok(())
}

pub(crate) fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

pub(crate) fn object_from(row: Row) -> Result<ObjectRow, StoreError> {
    let mut r = row.reader("objects");
    Ok(ObjectRow {
        id: r.text()?,
        merchant_id: r.text()?,
        livemode: r.bool()?,
        kind: r.text()?,
        parent: r.opt_text()?,
        tag: r.opt_text()?,
        due: r.opt_int()?,
        created: r.int()?,
        version: r.int()?,
        data: r.json()?,
    })
}

fn merchant_from(row: Row) -> Result<MerchantRow, StoreError> {
    let mut r = row.reader("merchants");
    Ok(MerchantRow {
        id: r.text()?,
        name: r.text()?,
        created: r.int()?,
        settings: r.json()?,
    })
}

fn api_key_from(row: Row) -> Result<ApiKeyRow, StoreError> {
    let mut r = row.reader("api_keys");
    Ok(ApiKeyRow {
        id: r.text()?,
        merchant_id: r.text()?,
        livemode: r.bool()?,
        kind: r.text()?,
        key_hash: r.text()?,
        display: r.text()?,
        created: r.int()?,
        revoked_at: r.opt_int()?,
    })
}

fn attempt_from(row: Row) -> Result<AttemptRow, StoreError> {
    let mut r = row.reader("attempts");
    Ok(AttemptRow {
        id: r.text()?,
        merchant_id: r.text()?,
        livemode: r.bool()?,
        owner_node: r.text()?,
        state: r.text()?,
        created: r.int()?,
        data: r.json()?,
    })
}

fn vault_card_from(row: Row) -> Result<VaultCardRow, StoreError> {
    let mut r = row.reader("vault_cards");
    Ok(VaultCardRow {
        id: r.text()?,
        merchant_id: r.text()?,
        kek_id: r.text()?,
        wrapped_dek: r.blob()?,
        ciphertext: r.blob()?,
        fingerprint: r.text()?,
        created: r.int()?,
    })
}

fn all<T>(rows: Vec<Row>, f: fn(Row) -> Result<T, StoreError>) -> Result<Vec<T>, StoreError> {
    rows.into_iter().map(f).collect()
}

pub(crate) async fn get_object<E: Exec>(
    e: &mut E,
    scope: &Scope,
    id: &str,
) -> Result<Option<ObjectRow>, StoreError> {
    e.first(&GET_OBJECT, params![id, &scope.merchant_id, scope.livemode])
        .await?
        .map(object_from)
        .transpose()
}

/// The object with this id in whichever scope holds it (ids are globally unique).
pub(crate) async fn find_object<E: Exec>(
    e: &mut E,
    id: &str,
) -> Result<Option<ObjectRow>, StoreError> {
    e.first(&FIND_OBJECT, params![id])
        .await?
        .map(object_from)
        .transpose()
}

/// One page, newest first. `starting_after` pages towards older objects, `ending_before`
/// towards newer ones (queried oldest-first, then reversed).
pub(crate) async fn list_objects<E: Exec>(
    e: &mut E,
    scope: &Scope,
    q: &ListQuery,
) -> Result<Page, StoreError> {
    let limit = q.limit.clamp(1, LIST_LIMIT_MAX);
    let (cursor, newer) = match (&q.starting_after, &q.ending_before) {
        (Some(_), Some(_)) => return Err(StoreError::InvalidCursor("ending_before".into())),
        (Some(id), None) => (
            Some(cursor_seq(e, scope, &q.kind, id, "starting_after").await?),
            false,
        ),
        (None, Some(id)) => (
            Some(cursor_seq(e, scope, &q.kind, id, "ending_before").await?),
            true,
        ),
        (None, None) => (None, false),
    };
    let mut b = SqlBuilder::new(&format!("SELECT {OBJECT_COLUMNS} FROM objects WHERE "));
    b.push("merchant_id = ?", Param::from(&scope.merchant_id))
        .push(" AND livemode = ?", Param::Bool(scope.livemode))
        .push(" AND kind = ?", Param::from(&q.kind));
    if let Some(parent) = &q.parent {
        b.push(" AND parent = ?", Param::from(parent));
    }
    if let Some(tag) = &q.tag {
        b.push(" AND tag = ?", Param::from(tag));
    }
    for f in &q.filters {
        push_filter(&mut b, f, e.dialect())?;
    }
    if let Some(t) = q.created_gte {
        b.push(" AND created >= ?", Param::Int(t));
    }
    if let Some(t) = q.created_lte {
        b.push(" AND created <= ?", Param::Int(t));
    }
    match (cursor, newer) {
        (Some(seq), false) => b.push(" AND seq < ?", Param::Int(seq)),
        (Some(seq), true) => b.push(" AND seq > ?", Param::Int(seq)),
        (None, _) => &mut b,
    };
    b.raw(if newer {
        " ORDER BY seq ASC"
    } else {
        " ORDER BY seq DESC"
    });
    b.push(" LIMIT ?", Param::Int(sql_limit(limit + 1)));
    let (text, params) = b.finish(e.dialect());
    let mut data = all(e.query(&text, &params).await?, object_from)?;
    let has_more = data.len() > limit;
    data.truncate(limit);
    if newer {
        data.reverse();
    }
    Ok(Page { data, has_more })
}

pub(crate) async fn cursor_seq<E: Exec>(
    e: &mut E,
    scope: &Scope,
    kind: &str,
    id: &str,
    param: &str,
) -> Result<i64, StoreError> {
    match e
        .first(
            &CURSOR_SEQ,
            params![id, &scope.merchant_id, scope.livemode, kind],
        )
        .await?
    {
        Some(row) => row.reader("objects").int(),
        None => Err(StoreError::InvalidCursor(param.to_owned())),
    }
}

pub(crate) async fn list_due<E: Exec>(
    e: &mut E,
    kind: &str,
    tag: &str,
    due_lte: i64,
    limit: usize,
) -> Result<Vec<ObjectRow>, StoreError> {
    all(
        e.rows(&LIST_DUE, params![kind, tag, due_lte, sql_limit(limit)])
            .await?,
        object_from,
    )
}

pub(crate) async fn get_merchant<E: Exec>(
    e: &mut E,
    id: &str,
) -> Result<Option<MerchantRow>, StoreError> {
    e.first(&GET_MERCHANT, params![id])
        .await?
        .map(merchant_from)
        .transpose()
}

pub(crate) async fn list_merchants<E: Exec>(
    e: &mut E,
    limit: usize,
) -> Result<Vec<MerchantRow>, StoreError> {
    all(
        e.rows(&LIST_MERCHANTS, params![sql_limit(limit)]).await?,
        merchant_from,
    )
}

pub(crate) async fn find_api_key<E: Exec>(
    e: &mut E,
    key_hash: &str,
) -> Result<Option<ApiKeyRow>, StoreError> {
    e.first(&FIND_API_KEY, params![key_hash])
        .await?
        .map(api_key_from)
        .transpose()
}

pub(crate) async fn list_api_keys<E: Exec>(
    e: &mut E,
    merchant_id: &str,
    limit: usize,
) -> Result<Vec<ApiKeyRow>, StoreError> {
    all(
        e.rows(&LIST_API_KEYS, params![merchant_id, sql_limit(limit)])
            .await?,
        api_key_from,
    )
}

pub(crate) async fn idempotency_get<E: Exec>(
    e: &mut E,
    scope: &Scope,
    key: &str,
) -> Result<Option<IdempotencyRow>, StoreError> {
    let Some(row) = e
        .first(
            &GET_IDEMPOTENCY,
            params![&scope.merchant_id, scope.livemode, key],
        )
        .await?
    else {
        return Ok(None);
    };
    let mut r = row.reader("idempotency");
    Ok(Some(IdempotencyRow {
        request_hash: r.text()?,
        state: r.text()?,
        owner: r.text()?,
        status: r.opt_u16()?,
        body: r.opt_text()?,
        created: r.int()?,
    }))
}

/// Deletes up to `chunk_rows` keys created before `created_before` (caller holds the
/// transaction); returns how many went.
pub(crate) async fn prune_idempotency_chunk<E: Exec>(
    e: &mut E,
    created_before: i64,
    chunk_rows: usize,
) -> Result<u64, StoreError> {
    e.run(
        &PRUNE_IDEMPOTENCY,
        params![created_before, sql_limit(chunk_rows)],
    )
    .await
}

pub(crate) async fn attempts<E: Exec>(
    e: &mut E,
    owner_node: Option<&str>,
    limit: usize,
) -> Result<Vec<AttemptRow>, StoreError> {
    let rows = match owner_node {
        Some(node) => {
            e.rows(&ATTEMPTS_OF_NODE, params![node, sql_limit(limit)])
                .await?
        }
        None => e.rows(&ATTEMPTS_ALL, params![sql_limit(limit)]).await?,
    };
    all(rows, attempt_from)
}

pub(crate) async fn get_vault_card<E: Exec>(
    e: &mut E,
    id: &str,
) -> Result<Option<VaultCardRow>, StoreError> {
    e.first(&GET_VAULT_CARD, params![id])
        .await?
        .map(vault_card_from)
        .transpose()
}

pub(crate) async fn vault_cards_not_under<E: Exec>(
    e: &mut E,
    kek_id: &str,
    limit: usize,
) -> Result<Vec<VaultCardRow>, StoreError> {
    all(
        e.rows(&VAULT_CARDS_NOT_UNDER, params![kek_id, sql_limit(limit)])
            .await?,
        vault_card_from,
    )
}
