//! Dashboard sessions: in memory for every request, and in `sessions.sqlite`
//! (next to the ledger, a file of its own: sessions are not facts of the log)
//! so that a restart does not sign anyone out.
//!
//! Only the SHA-256 digest of a session cookie is kept, with its CSRF token, its
//! expiry (wall-clock milliseconds) and the digest of the admin token it was
//! opened with: a session opened with another admin token (the token was
//! changed) is dropped when the server starts.

use crate::domain::TokenHash;
use dashmap::DashMap;
use rusqlite::{Connection, params};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// A signed-in dashboard: its CSRF token and when it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub csrf: String,
    /// Milliseconds since the Unix epoch.
    pub expires_ms: i64,
}

pub struct Sessions {
    live: DashMap<TokenHash, Login>,
    db: Arc<Mutex<Connection>>,
    admin: String,
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Sessions {
    /// Opens (or creates) `dir/sessions.sqlite` and loads the sessions still valid
    /// for this admin token.
    pub fn open(dir: &Path, admin_hash: &TokenHash) -> rusqlite::Result<Sessions> {
        let db = Connection::open(dir.join("sessions.sqlite"))?;
        db.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
             CREATE TABLE IF NOT EXISTS sessions (
                 hash TEXT PRIMARY KEY, csrf TEXT NOT NULL, expires_ms INTEGER NOT NULL, admin TEXT NOT NULL
             ) STRICT;",
        )?;
        let admin = hex::encode(admin_hash.0);
        db.execute("DELETE FROM sessions WHERE expires_ms <= ?1 OR admin <> ?2", params![now_ms(), admin])?;
        let live = DashMap::new();
        {
            let mut stmt = db.prepare("SELECT hash, csrf, expires_ms FROM sessions")?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?)))?;
            for row in rows {
                let (hash, csrf, expires_ms) = row?;
                let mut h = [0u8; 32];
                if hex::decode_to_slice(&hash, &mut h).is_ok() {
                    live.insert(TokenHash(h), Login { csrf, expires_ms });
                }
            }
        }
        Ok(Sessions { live, db: Arc::new(Mutex::new(db)), admin })
    }

    /// The CSRF token of a session that has not expired.
    pub fn get(&self, hash: &TokenHash) -> Option<String> {
        let login = self.live.get(hash)?;
        if login.expires_ms <= now_ms() {
            drop(login);
            self.live.remove(hash);
            return None;
        }
        Some(login.csrf.clone())
    }

    /// Opens a session for `ttl`; it is on disk when this returns.
    pub async fn insert(&self, hash: TokenHash, csrf: String, ttl: Duration) -> Result<(), Error> {
        let now = now_ms();
        let expires_ms = now.saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX));
        self.live.retain(|_, l| l.expires_ms > now);
        let (db, admin, row_csrf) = (Arc::clone(&self.db), self.admin.clone(), csrf.clone());
        run(db, move |c| {
            c.execute("DELETE FROM sessions WHERE expires_ms <= ?1", params![now])?;
            c.execute(
                "INSERT OR REPLACE INTO sessions (hash, csrf, expires_ms, admin) VALUES (?1, ?2, ?3, ?4)",
                params![hex::encode(hash.0), row_csrf, expires_ms, admin],
            )
            .map(drop)
        })
        .await?;
        self.live.insert(hash, Login { csrf, expires_ms });
        Ok(())
    }

    /// Closes a session, in memory at once and then on disk.
    pub async fn remove(&self, hash: &TokenHash) -> Result<(), Error> {
        self.live.remove(hash);
        let key = hex::encode(hash.0);
        run(Arc::clone(&self.db), move |c| c.execute("DELETE FROM sessions WHERE hash = ?1", params![key]).map(drop))
            .await
    }
}

/// Runs a statement off the async threads (a commit may wait for the disk).
async fn run(
    db: Arc<Mutex<Connection>>,
    f: impl FnOnce(&Connection) -> rusqlite::Result<()> + Send + 'static,
) -> Result<(), Error> {
    tokio::task::spawn_blocking(move || {
        let c = db.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&c)
    })
    .await??;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sessions_survive_a_reopen_and_not_a_new_admin_token() {
        let dir = tempfile::tempdir().unwrap();
        let (admin, other) = (TokenHash([1; 32]), TokenHash([2; 32]));
        let (a, b, c) = (TokenHash([10; 32]), TokenHash([11; 32]), TokenHash([12; 32]));
        let s = Sessions::open(dir.path(), &admin).unwrap();
        s.insert(a, "csrf-a".into(), Duration::from_secs(60)).await.unwrap();
        s.insert(b, "csrf-b".into(), Duration::from_secs(60)).await.unwrap();
        s.insert(c, "csrf-c".into(), Duration::from_millis(1)).await.unwrap();
        s.remove(&b).await.unwrap();
        drop(s);
        tokio::time::sleep(Duration::from_millis(5)).await;
        let s = Sessions::open(dir.path(), &admin).unwrap();
        assert_eq!(s.get(&a).as_deref(), Some("csrf-a"));
        assert_eq!(s.get(&b), None, "signed out");
        assert_eq!(s.get(&c), None, "expired");
        drop(s);
        let s = Sessions::open(dir.path(), &other).unwrap();
        assert_eq!(s.get(&a), None, "opened with another admin token");
    }
}
