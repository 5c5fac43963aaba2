//! Direct SQL against a test app's database, behind keycard's back.

use diesel::prelude::*;

use super::TestApp;

impl TestApp {
    pub fn db(&self) -> PgConnection {
        PgConnection::establish(&self.database_url).unwrap()
    }

    /// Runs SQL against this app's database.
    pub async fn sql(&self, statement: &str) {
        let (url, statement) = (self.database_url.clone(), statement.to_string());
        tokio::task::spawn_blocking(move || {
            let mut conn = PgConnection::establish(&url).unwrap();
            diesel::sql_query(statement).execute(&mut conn).unwrap();
        })
        .await
        .unwrap();
    }

    /// The one `bigint` a query returns (as its column `v`).
    pub async fn scalar(&self, query: &str) -> i64 {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            v: i64,
        }
        let (url, query) = (self.database_url.clone(), query.to_string());
        tokio::task::spawn_blocking(move || {
            let mut conn = PgConnection::establish(&url).unwrap();
            diesel::sql_query(query)
                .get_result::<Row>(&mut conn)
                .unwrap()
                .v
        })
        .await
        .unwrap()
    }

    /// The one `bytea` a query returns (as its column `v`).
    pub async fn bytes(&self, query: &str) -> Vec<u8> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Bytea)]
            v: Vec<u8>,
        }
        let (url, query) = (self.database_url.clone(), query.to_string());
        tokio::task::spawn_blocking(move || {
            let mut conn = PgConnection::establish(&url).unwrap();
            diesel::sql_query(query)
                .get_result::<Row>(&mut conn)
                .unwrap()
                .v
        })
        .await
        .unwrap()
    }

    pub async fn count_users(&self) -> i64 {
        let url = self.database_url.clone();
        tokio::task::spawn_blocking(move || {
            use keycard::db::schema::users;
            let mut conn = PgConnection::establish(&url).unwrap();
            users::table.count().get_result::<i64>(&mut conn).unwrap()
        })
        .await
        .unwrap()
    }

    /// Makes `user` an admin in the database, as `keycard create-admin` would.
    pub async fn make_admin(&self, user: &serde_json::Value) {
        self.sql(&format!(
            "UPDATE users SET role = 'admin' WHERE id = {}",
            user["id"]
        ))
        .await;
    }
}
