//! The images and sounds streamers give their alerts: a campaign's media
//! library, in `media.sqlite` next to the log. A file of its own: they are
//! assets, not facts of the log, and a replay never reads them; `cagnotte
//! backup` copies it beside the log.
//!
//! A file is taken for what its first bytes say it is (PNG, GIF, JPEG, WebP;
//! MP3, Ogg, WAV, FLAC, M4A), never for the name or type its sender gives, and
//! is served under a random id with that type only. SVG is refused: it can
//! carry scripts.

use crate::domain::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The largest file taken (an animated GIF of a few seconds, a sound clip).
pub const MAX_BYTES: usize = 8 << 20;
/// The longest name kept (characters).
pub const MAX_NAME: usize = 80;

/// What one campaign's library may hold.
#[derive(Debug, Clone, Copy)]
pub struct Quota {
    pub files: u64,
    pub bytes: u64,
}

/// Every campaign's: a hundred files, 256 MiB.
pub const QUOTA: Quota = Quota { files: 100, bytes: 256 << 20 };

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Image,
    Sound,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Image => "image",
            Kind::Sound => "sound",
        }
    }
}

/// What a file is, from its first bytes: its kind and the type it is served with.
pub fn sniff(bytes: &[u8]) -> Option<(Kind, &'static str)> {
    let at = |i: usize, sig: &[u8]| bytes.get(i..i + sig.len()) == Some(sig);
    Some(if at(0, b"\x89PNG\r\n\x1a\n") {
        (Kind::Image, "image/png")
    } else if at(0, b"GIF87a") || at(0, b"GIF89a") {
        (Kind::Image, "image/gif")
    } else if at(0, &[0xFF, 0xD8, 0xFF]) {
        (Kind::Image, "image/jpeg")
    } else if at(0, b"RIFF") && at(8, b"WEBP") {
        (Kind::Image, "image/webp")
    } else if at(0, b"RIFF") && at(8, b"WAVE") {
        (Kind::Sound, "audio/wav")
    } else if at(0, b"OggS") {
        (Kind::Sound, "audio/ogg")
    } else if at(0, b"fLaC") {
        (Kind::Sound, "audio/flac")
    } else if at(4, b"ftypM4A ") {
        (Kind::Sound, "audio/mp4")
    } else if at(0, b"ID3") || (bytes.len() >= 2 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0) {
        // An ID3 tag, else an MPEG audio frame's sync bits.
        (Kind::Sound, "audio/mpeg")
    } else {
        return None;
    })
}

/// A file of a library, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MediaInfo {
    pub id: String,
    pub campaign_id: String,
    pub name: String,
    pub kind: Kind,
    pub content_type: String,
    pub size: u64,
    /// The host whose space sent it (`None`: the organisers).
    pub host: Option<String>,
    pub created_at: Timestamp,
}

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("the campaign's media library is full ({files} files, {bytes} bytes)")]
    Full { files: u64, bytes: u64 },
    #[error("media database: {0}")]
    Sql(#[from] rusqlite::Error),
}

pub struct MediaStore {
    db: Mutex<Connection>,
}

const FILE: &str = "media.sqlite";

fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

const COLUMNS: &str = "id, campaign_id, name, kind, content_type, size, host, created_at";

fn info(r: &rusqlite::Row<'_>) -> rusqlite::Result<MediaInfo> {
    let kind: String = r.get(3)?;
    Ok(MediaInfo {
        id: r.get(0)?,
        campaign_id: r.get(1)?,
        name: r.get(2)?,
        kind: if kind == "sound" { Kind::Sound } else { Kind::Image },
        content_type: r.get(4)?,
        size: r.get::<_, i64>(5)? as u64,
        host: r.get(6)?,
        created_at: Timestamp::from_millis(r.get(7)?),
    })
}

impl MediaStore {
    /// Opens (or creates) `dir/media.sqlite`.
    pub fn open(dir: &Path) -> rusqlite::Result<MediaStore> {
        let db = Connection::open(path(dir))?;
        db.busy_timeout(std::time::Duration::from_secs(5))?;
        db.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
             CREATE TABLE IF NOT EXISTS media (
                 id TEXT PRIMARY KEY, campaign_id TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,
                 content_type TEXT NOT NULL, size INTEGER NOT NULL, host TEXT, created_at INTEGER NOT NULL,
                 bytes BLOB NOT NULL
             ) STRICT;
             CREATE INDEX IF NOT EXISTS media_by_campaign ON media(campaign_id, created_at);",
        )?;
        Ok(MediaStore { db: Mutex::new(db) })
    }

    fn db(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores a file (on disk when this returns), unless the campaign's library is full.
    pub fn insert(&self, m: &MediaInfo, bytes: &[u8]) -> Result<(), MediaError> {
        self.insert_within(m, bytes, QUOTA)
    }

    fn insert_within(&self, m: &MediaInfo, bytes: &[u8], quota: Quota) -> Result<(), MediaError> {
        let mut db = self.db();
        let tx = db.transaction()?;
        let (files, total): (i64, i64) = tx.query_row(
            "SELECT count(*), COALESCE(sum(size), 0) FROM media WHERE campaign_id = ?1",
            [&m.campaign_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let (files, total) = (files as u64, total as u64);
        if files >= quota.files || total + bytes.len() as u64 > quota.bytes {
            return Err(MediaError::Full { files, bytes: total });
        }
        tx.execute(
            "INSERT INTO media (id, campaign_id, name, kind, content_type, size, host, created_at, bytes)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                m.id,
                m.campaign_id,
                m.name,
                m.kind.as_str(),
                m.content_type,
                bytes.len() as i64,
                m.host,
                m.created_at.millis(),
                bytes
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// A campaign's files, oldest first.
    pub fn list(&self, campaign_id: &str) -> rusqlite::Result<Vec<MediaInfo>> {
        let db = self.db();
        let mut stmt =
            db.prepare_cached(&format!("SELECT {COLUMNS} FROM media WHERE campaign_id = ?1 ORDER BY created_at, id"))?;
        stmt.query_map([campaign_id], info)?.collect()
    }

    pub fn info(&self, id: &str) -> rusqlite::Result<Option<MediaInfo>> {
        let db = self.db();
        db.query_row(&format!("SELECT {COLUMNS} FROM media WHERE id = ?1"), [id], info).optional()
    }

    /// A file's type and bytes.
    pub fn get(&self, id: &str) -> rusqlite::Result<Option<(String, Vec<u8>)>> {
        let db = self.db();
        db.query_row("SELECT content_type, bytes FROM media WHERE id = ?1", [id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
    }

    /// Removes a file; whether it was there.
    pub fn remove(&self, id: &str) -> rusqlite::Result<bool> {
        Ok(self.db().execute("DELETE FROM media WHERE id = ?1", [id])? > 0)
    }
}

/// Copies `from`'s media library into `to` (a consistent snapshot, taken while
/// a server may be writing); nothing to copy without one. Returns the files copied.
pub fn backup(from: &Path, to: &Path) -> rusqlite::Result<u64> {
    let src = path(from);
    if !src.is_file() {
        return Ok(0);
    }
    let conn = Connection::open(&src)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.execute("VACUUM INTO ?1", [path(to).to_string_lossy()])?;
    let copy = Connection::open(path(to))?;
    copy.query_row("SELECT count(*) FROM media", [], |r| r.get::<_, i64>(0)).map(|n| n as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_known_by_their_first_bytes() {
        let riff = |form: &[u8]| [b"RIFF".as_slice(), &[0; 4], form].concat();
        assert_eq!(sniff(b"GIF89a\x01\x00"), Some((Kind::Image, "image/gif")));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some((Kind::Image, "image/png")));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some((Kind::Image, "image/jpeg")));
        assert_eq!(sniff(&riff(b"WEBPVP8 ")), Some((Kind::Image, "image/webp")));
        assert_eq!(sniff(&riff(b"WAVEfmt ")), Some((Kind::Sound, "audio/wav")));
        assert_eq!(sniff(b"OggS\x00\x02"), Some((Kind::Sound, "audio/ogg")));
        assert_eq!(sniff(b"fLaC\x00"), Some((Kind::Sound, "audio/flac")));
        assert_eq!(sniff(b"\x00\x00\x00\x20ftypM4A \x00"), Some((Kind::Sound, "audio/mp4")));
        assert_eq!(sniff(b"ID3\x04\x00"), Some((Kind::Sound, "audio/mpeg")));
        assert_eq!(sniff(&[0xFF, 0xFB, 0x90, 0x64]), Some((Kind::Sound, "audio/mpeg")));
        // SVG (it can carry scripts), HTML, text, a RIFF of another form, nothing.
        for refused in [&b"<svg xmlns='http://www.w3.org/2000/svg'/>"[..], b"<html>", b"hello", &riff(b"AVI "), b""] {
            assert_eq!(sniff(refused), None, "{refused:?}");
        }
    }

    #[test]
    fn a_library_keeps_its_files_and_refuses_past_its_limits() {
        let dir = tempfile::tempdir().unwrap();
        let store = MediaStore::open(dir.path()).unwrap();
        let file = |id: &str, campaign: &str, at: i64| MediaInfo {
            id: id.into(),
            campaign_id: campaign.into(),
            name: format!("{id}.gif"),
            kind: Kind::Image,
            content_type: "image/gif".into(),
            size: 0,
            host: Some("Ana".into()),
            created_at: Timestamp::from_millis(at),
        };
        store.insert(&file("a", "c", 2), b"GIF89a-a").unwrap();
        store.insert(&file("b", "c", 1), b"GIF89a-bb").unwrap();
        store.insert(&file("z", "other", 1), b"GIF89a").unwrap();
        let ids: Vec<_> = store.list("c").unwrap().into_iter().map(|m| (m.id, m.size)).collect();
        assert_eq!(ids, [("b".to_owned(), 9), ("a".to_owned(), 8)]);
        assert_eq!(store.info("b").unwrap().map(|m| m.host), Some(Some("Ana".to_owned())));
        assert_eq!(store.get("a").unwrap(), Some(("image/gif".to_owned(), b"GIF89a-a".to_vec())));
        assert!(store.remove("a").unwrap());
        assert!(!store.remove("a").unwrap());
        assert_eq!(store.get("a").unwrap(), None);

        // Past its number of files, or its bytes, a library takes nothing more.
        let quota = Quota { files: 3, bytes: 20 };
        for i in 0..3 {
            store.insert_within(&file(&format!("f{i}"), "small", 0), b"GIF89a", quota).unwrap();
        }
        let err = store.insert_within(&file("f3", "small", 0), b"GIF89a", quota).unwrap_err();
        assert!(matches!(err, MediaError::Full { files: 3, bytes: 18 }), "{err:?}");
        store.insert_within(&file("g0", "tight", 0), b"GIF89a-0123456789", quota).unwrap();
        let err = store.insert_within(&file("g1", "tight", 0), b"GIF89a", quota).unwrap_err();
        assert!(matches!(err, MediaError::Full { files: 1, bytes: 17 }), "{err:?}");
        assert_eq!(store.list("small").unwrap().len(), 3);
        assert_eq!(store.list("tight").unwrap().len(), 1);

        // A copy holds every file, readable.
        let to = tempfile::tempdir().unwrap();
        assert_eq!(backup(dir.path(), to.path()).unwrap(), 6);
        let copy = MediaStore::open(to.path()).unwrap();
        assert_eq!(copy.get("b").unwrap(), Some(("image/gif".to_owned(), b"GIF89a-bb".to_vec())));
        // Nothing to copy without a library.
        let (empty, to) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        assert_eq!(backup(empty.path(), to.path()).unwrap(), 0);
        assert!(!path(to.path()).exists());
    }
}
