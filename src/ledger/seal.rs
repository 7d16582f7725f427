//! Balance seals: an HMAC-SHA-256 over (account, points, position of the newest posting) with a
//! key derived from the device key, kept in the local `balance_seals` table. A debit checks the
//! balances row against its seal, which is a hash, not a signature verification; a row without a
//! seal, or one that fails it, falls back to the signed-entry check (`points::trusted_balance`)
//! and is sealed anew when that passes. Someone with the sqlite3 shell but not the device key
//! cannot make a seal for a balance they changed.
//!
//! HMAC is written out here (RFC 2104, a dozen lines over `sha2`, which signs entries already)
//! rather than taking a crate for it.

use rusqlite::{Connection, OptionalExtension};
use sha2::{Digest, Sha256};

/// SHA-256's block size, the HMAC key's padded length.
const BLOCK_BYTES: usize = 64;

fn hmac(key: &[u8; 32], message: &[u8]) -> [u8; 32] {
    let mut padded = [0u8; BLOCK_BYTES];
    padded[..32].copy_from_slice(key);
    let inner_key: Vec<u8> = padded.iter().map(|b| b ^ 0x36).collect();
    let outer_key: Vec<u8> = padded.iter().map(|b| b ^ 0x5c).collect();
    let inner = Sha256::new()
        .chain_update(&inner_key)
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(&outer_key)
        .chain_update(inner)
        .finalize()
        .into()
}

fn seal_of(key: &[u8; 32], account: &str, points: i64, position: i64) -> [u8; 32] {
    let message = format!("pointsdesk balance seal v1\n{account}\n{points}\n{position}");
    hmac(key, message.as_bytes())
}

/// Seals the balance of `account` as it stands, with its newest posting.
pub fn write(conn: &Connection, key: &[u8; 32], account: &str) -> rusqlite::Result<()> {
    let row: Option<(i64, i64)> = conn
        .prepare_cached(
            // ?1 twice rather than a correlated subquery: a bound value propagated into the
            // subquery makes SQLite re-prepare the statement on every new binding.
            "SELECT b.points, (SELECT MAX(position) FROM postings WHERE account = ?1)
             FROM balances b WHERE b.account = ?1",
        )?
        .query_row([account], |r| {
            Ok((r.get(0)?, r.get::<_, Option<i64>>(1)?.unwrap_or(0)))
        })
        .optional()?;
    // A passbook that never moved has no balance to seal.
    let Some((points, position)) = row else {
        return Ok(());
    };
    conn.prepare_cached(
        "INSERT OR REPLACE INTO balance_seals (account, points, position, seal)
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(rusqlite::params![
        account,
        points,
        position,
        seal_of(key, account, points, position).as_slice()
    ])?;
    Ok(())
}

/// Whether the balances row of `account` is the one this counter sealed: the same points,
/// the same newest posting, and a seal only the device key makes.
pub fn holds(
    conn: &Connection,
    key: &[u8; 32],
    account: &str,
    points: i64,
) -> rusqlite::Result<bool> {
    let sealed: Option<(i64, i64, Vec<u8>)> = conn
        .prepare_cached("SELECT points, position, seal FROM balance_seals WHERE account = ?1")?
        .query_row([account], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((sealed_points, position, seal)) = sealed else {
        return Ok(false);
    };
    let newest: Option<i64> = conn
        .prepare_cached("SELECT MAX(position) FROM postings WHERE account = ?1")?
        .query_row([account], |r| r.get(0))?;
    Ok(sealed_points == points
        && newest.unwrap_or(0) == position
        && seal == seal_of(key, account, points, position))
}

/// Drops every seal (after a rebuild or a restore the rows are checked against the log again).
pub fn clear(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM balance_seals", []).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_sha256_matches_rfc_4231_test_case_2_shape() {
        // RFC 4231 case 2 uses a 4-byte key; ours are 32 bytes, padded the same way.
        let mut key = [0u8; 32];
        key[..4].copy_from_slice(b"Jefe");
        let tag = hmac(&key, b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(tag),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn a_seal_is_bound_to_the_account_the_points_and_the_position() {
        let key = [7u8; 32];
        let seal = seal_of(&key, "passbook:SQ-000001", 100, 12);
        assert_ne!(seal, seal_of(&key, "passbook:SQ-000002", 100, 12));
        assert_ne!(seal, seal_of(&key, "passbook:SQ-000001", 9999, 12));
        assert_ne!(seal, seal_of(&key, "passbook:SQ-000001", 100, 11));
        assert_ne!(seal, seal_of(&[8u8; 32], "passbook:SQ-000001", 100, 12));
    }
}
