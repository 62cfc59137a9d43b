//! The counter route every web benchmark serves (`GET /api/counter`).

use axum::Json;
use sealed_cookie::web::Session;

/// The route without a session: the ceiling.
pub async fn no_session() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "count": 1 }))
}

/// The counter in the session: every request reads, increments and writes it.
pub async fn counter(session: Session) -> Json<serde_json::Value> {
    let count = session.get::<u64>("count").ok().flatten().unwrap_or(0) + 1;
    let _ = session.insert("count", &count);
    Json(serde_json::json!({ "count": count }))
}
