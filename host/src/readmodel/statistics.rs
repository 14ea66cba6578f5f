//! Planner statistics for a generation's tables. A generation is filled in
//! bulk (a rebuild, a catch-up after a restart) and then read by filters
//! whose best index only statistics reveal: without them SQLite walks the
//! primary key to save a sort, and PostgreSQL guesses a filter on a column
//! with one value is selective. PostgreSQL's autovacuum analyzes within a
//! minute where it runs; SQLite has no such thing. The spoolers ask for
//! statistics as their generations grow (`spooler::worker`).

use super::schema::quote;
use super::{Generation, ReadModelError, ReadStore};

impl ReadStore {
    /// Refreshes the planner statistics of `generation`'s tables (`ANALYZE`
    /// on both backends).
    ///
    /// # Errors
    /// [`ReadModelError::Database`] when the database refuses.
    pub async fn analyze(&self, generation: &Generation) -> Result<(), ReadModelError> {
        let sql: String = generation
            .tables
            .iter()
            .map(|t| format!("ANALYZE {};\n", quote(&generation.physical(&t.name))))
            .collect();
        on_pool!(self, writer, |pool, _dialect| {
            sqlx::raw_sql(&sql).execute(pool).await?;
            Ok(())
        })
    }
}
