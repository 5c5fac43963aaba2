//! `GET /metrics` on the metrics listener (contract §9; `metrics.listen`, never the
//! public one): the Prometheus text, with the pool and hashing gauges read now.

use std::sync::Arc;

use actix_web::{HttpResponse, web};

use crate::auth::hasher::HashStats;
use crate::db::DbPool;
use crate::metrics::Metrics;

/// Where the gauges come from at scrape time.
#[derive(Clone)]
pub struct Gauges {
    pub pool: DbPool,
    pub hashes: Arc<HashStats>,
}

pub async fn scrape(metrics: web::Data<Metrics>, gauges: web::Data<Gauges>) -> HttpResponse {
    use std::sync::atomic::Ordering;
    let hashes = (
        gauges.hashes.waiting.load(Ordering::Relaxed),
        gauges.hashes.running.load(Ordering::Relaxed),
    );
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(metrics.render(gauges.pool.usage(), hashes))
}
