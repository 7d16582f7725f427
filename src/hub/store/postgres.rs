//! The hub's store in PostgreSQL, for a city: several hub processes behind a load balancer over
//! one database. A push's append locks the rows of the series it writes (`FOR UPDATE`, in a
//! fixed order), checks that their heads are the ones judged, and writes everything in one
//! transaction; a one-time code and a nonce are taken by one statement each. Connections come
//! from a pool (deadpool-postgres).

use super::*;
use deadpool_postgres::{Manager, Pool};
use tokio_postgres::NoTls;

/// Connections a hub process opens at most.
pub const POOL_CONNECTIONS_MAX: usize = 16;

/// Migrations, append-only; `hub_schema` remembers how many ran.
const MIGRATIONS: &[&str] = &[
    include_str!("postgres_0001.sql"),
    include_str!("postgres_0002_counters.sql"),
    include_str!("postgres_0003_claims.sql"),
    include_str!("postgres_0004_registrations.sql"),
    include_str!("postgres_0005_series_id.sql"),
    include_str!("postgres_0006_origin.sql"),
    include_str!("postgres_0007_passbook_tokens.sql"),
    include_str!("postgres_0008_claims_bytewise.sql"),
    include_str!("postgres_0009_claims_kept.sql"),
];

/// The columns [`enrolment_of`] reads, in its order.
const ENROLMENT_COLUMNS: &str =
    "grant_id, counter, code, issued_at, expires_at, community, registered_key";

fn enrolment_of(row: &tokio_postgres::Row) -> EnrolmentRow {
    EnrolmentRow {
        grant_id: row.get(0),
        counter: row.get(1),
        code: row.get(2),
        issued_at: row.get(3),
        expires_at: row.get(4),
        community: row.get(5),
        registered_key: row.get::<_, Option<Vec<u8>>>(6).map(blob_32),
    }
}

pub struct PgStore {
    pool: Pool,
}

fn blob_32(bytes: Vec<u8>) -> [u8; 32] {
    bytes.try_into().unwrap_or([0; 32])
}

fn uuid_of(bytes: Vec<u8>) -> Uuid {
    Uuid::from_slice(&bytes).unwrap_or(Uuid::nil())
}

fn pool_error(e: deadpool_postgres::PoolError) -> StoreError {
    StoreError::Postgres(e.to_string())
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/db`) and migrates.
    pub async fn connect(url: &str) -> StoreResult<PgStore> {
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e: tokio_postgres::Error| StoreError::Postgres(e.to_string()))?;
        let pool = Pool::builder(Manager::new(config, NoTls))
            .max_size(POOL_CONNECTIONS_MAX)
            .build()
            .map_err(|e| StoreError::Postgres(e.to_string()))?;
        let store = PgStore { pool };
        store.migrate().await?;
        Ok(store)
    }

    async fn client(&self) -> StoreResult<deadpool_postgres::Object> {
        self.pool.get().await.map_err(pool_error)
    }

    async fn migrate(&self) -> StoreResult<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        // One migrating process at a time.
        tx.execute("SELECT pg_advisory_xact_lock(7105011)", &[])
            .await?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS hub_schema (version INTEGER NOT NULL)")
            .await?;
        let applied: i64 = tx
            .query_one(
                "SELECT COALESCE(MAX(version), 0)::BIGINT FROM hub_schema",
                &[],
            )
            .await?
            .get(0);
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(applied as usize) {
            tx.batch_execute(sql).await?;
            tx.execute(
                "INSERT INTO hub_schema (version) VALUES ($1)",
                &[&((index + 1) as i32)],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

impl Store for PgStore {
    async fn claim(&self, district_id: &str, name: &str, at: &str) -> StoreResult<()> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO district (id, district_id, name, created_at) VALUES (1, $1, $2, $3)
                 ON CONFLICT (id) DO NOTHING",
                &[&district_id, &name, &at],
            )
            .await?;
        let row = client
            .query_one("SELECT district_id, name FROM district WHERE id = 1", &[])
            .await?;
        let (held, held_name): (String, String) = (row.get(0), row.get(1));
        if held != district_id {
            return Err(StoreError::OtherDistrict(held_name));
        }
        Ok(())
    }

    async fn enrol(
        &self,
        community: Option<&str>,
        counter: &str,
        wanted: Option<&str>,
        issued_at: &str,
        expires_at: &str,
        code_hash: Option<&str>,
    ) -> StoreResult<Result<EnrolmentRow, CodeProblem>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        // Codes are given rarely; one enrolment at a time keeps "the next free code" exact.
        tx.execute("LOCK TABLE enrolments IN EXCLUSIVE MODE", &[])
            .await?;
        let register: Vec<RegisterRow> = tx
            .query(
                "SELECT DISTINCT community, counter, code FROM enrolments",
                &[],
            )
            .await?
            .iter()
            .map(|r| RegisterRow {
                community: r.get(0),
                counter: r.get(1),
                code: r.get(2),
            })
            .collect();
        let (code, community) = match assign_code(&register, community, counter, wanted) {
            Ok(assigned) => assigned,
            Err(problem) => return Ok(Err(problem)),
        };
        let grant_id = Uuid::now_v7().to_string();
        tx.execute(
            "INSERT INTO enrolments (grant_id, community, counter, code, issued_at, expires_at,
                 code_hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &grant_id,
                &community,
                &counter,
                &code,
                &issued_at,
                &expires_at,
                &code_hash,
            ],
        )
        .await?;
        if let Some(community) = &community {
            tx.execute(
                "UPDATE enrolments SET community = $1 WHERE code = $2 AND community IS NULL",
                &[community, &code],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(Ok(EnrolmentRow {
            grant_id,
            community,
            counter: counter.to_string(),
            code,
            issued_at: issued_at.to_string(),
            expires_at: expires_at.to_string(),
            registered_key: None,
        }))
    }

    async fn redeem(
        &self,
        code_hash: &str,
        counter: Option<&str>,
        now: &str,
    ) -> StoreResult<Result<EnrolmentRow, OneTimeProblem>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let Some(row) = tx
            .query_opt(
                &format!(
                    "SELECT {ENROLMENT_COLUMNS}, used_at FROM enrolments
                     WHERE code_hash = $1 FOR UPDATE"
                ),
                &[&code_hash],
            )
            .await?
        else {
            return Ok(Err(OneTimeProblem::Unknown));
        };
        let enrolment = enrolment_of(&row);
        let used_at: Option<String> = row.get(7);
        if used_at.is_some() {
            return Ok(Err(OneTimeProblem::Used));
        }
        if enrolment.expires_at.as_str() < now {
            return Ok(Err(OneTimeProblem::Expired));
        }
        if counter.is_some_and(|c| c != enrolment.counter) {
            return Ok(Err(OneTimeProblem::OtherCounter));
        }
        tx.execute(
            "UPDATE enrolments SET used_at = $2 WHERE grant_id = $1",
            &[&enrolment.grant_id, &now],
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(enrolment))
    }

    async fn counters(&self) -> StoreResult<Vec<CounterRow>> {
        let client = self.client().await?;
        let rows = client
            .query(
                "WITH devices AS (SELECT series_id, code FROM series
                                  UNION SELECT series_id, code FROM certificates)
                 SELECT COALESCE(MAX(e.community), ''),
                        (SELECT counter FROM enrolments n WHERE n.code = e.code
                         ORDER BY issued_at DESC LIMIT 1),
                        e.code, COUNT(*), MAX(e.issued_at), MAX(e.expires_at),
                        (SELECT COUNT(*) FROM series s WHERE s.code = e.code),
                        (SELECT COALESCE(SUM(seq), 0)::BIGINT FROM series s WHERE s.code = e.code),
                        (SELECT MAX(last_push_at) FROM series s WHERE s.code = e.code),
                        (SELECT MAX(last_pull_at) FROM series s WHERE s.code = e.code),
                        (SELECT COUNT(*) FROM evidence v JOIN series s ON s.series_id = v.series_id
                          WHERE s.code = e.code AND v.reason = 'fork'),
                        (SELECT COALESCE(SUM(l.refused), 0)::BIGINT FROM sync_log l
                          WHERE l.direction = 'push'
                            AND l.series_id IN (SELECT series_id FROM devices d WHERE d.code = e.code)),
                        (SELECT COUNT(*) FROM enrolment_refusals f WHERE f.code = e.code),
                        (SELECT reason FROM enrolment_refusals f WHERE f.code = e.code
                          ORDER BY id DESC LIMIT 1),
                        (SELECT at FROM enrolment_refusals f WHERE f.code = e.code
                          ORDER BY id DESC LIMIT 1),
                        EXISTS (SELECT 1 FROM revoked r WHERE r.code = e.code)
                 FROM enrolments e GROUP BY e.code ORDER BY length(e.code), e.code",
                &[],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| CounterRow {
                community: r.get(0),
                counter: r.get(1),
                code: r.get(2),
                enrolments: r.get(3),
                last_issued_at: r.get(4),
                last_expires_at: r.get(5),
                series: r.get(6),
                entries: r.get(7),
                last_push_at: r.get(8),
                last_pull_at: r.get(9),
                forks: r.get(10),
                refused: r.get(11),
                enrolment_refusals: r.get(12),
                last_enrolment_refusal: r
                    .get::<_, Option<String>>(13)
                    .zip(r.get::<_, Option<String>>(14)),
                revoked: r.get(15),
            })
            .collect())
    }

    async fn grant(&self, grant_id: &str) -> StoreResult<Option<EnrolmentRow>> {
        let client = self.client().await?;
        Ok(client
            .query_opt(
                &format!("SELECT {ENROLMENT_COLUMNS} FROM enrolments WHERE grant_id = $1"),
                &[&grant_id],
            )
            .await?
            .map(|r| enrolment_of(&r)))
    }

    async fn put_certificate(&self, c: &NewCertificate) -> StoreResult<bool> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let key = c.public_key.as_slice();
        let taken = tx
            .execute(
                "UPDATE enrolments SET registered_key = $2,
                     registered_at = COALESCE(registered_at, $3),
                     community = COALESCE(community, $4)
                 WHERE grant_id = $1 AND (registered_key IS NULL OR registered_key = $2)",
                &[&c.grant_id, &key, &c.at, &c.community],
            )
            .await?;
        if taken == 0 {
            return Ok(false);
        }
        tx.execute(
            "UPDATE enrolments SET community = $1 WHERE code = $2 AND community IS NULL",
            &[&c.community, &c.code],
        )
        .await?;
        tx.execute(
            "INSERT INTO certificates (series_id, certificate, public_key, counter, code, received_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (series_id) DO NOTHING",
            &[
                &c.series_id.as_bytes().as_slice(),
                &c.certificate,
                &key,
                &c.counter,
                &c.code,
                &c.at,
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn refuse_certificate(&self, r: &RefusedCertificate) -> StoreResult<()> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO enrolment_refusals (grant_id, code, public_key, reason, at)
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &r.grant_id,
                    &r.code,
                    &r.public_key.as_slice(),
                    &r.reason,
                    &r.at,
                ],
            )
            .await?;
        Ok(())
    }

    async fn revoke(&self, code: &str, at: &str) -> StoreResult<i64> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute(
            "INSERT INTO revoked (series_id, code, at)
             SELECT series_id, $1, $2 FROM series WHERE code = $1
             UNION SELECT series_id, $1, $2 FROM certificates WHERE code = $1
             ON CONFLICT DO NOTHING",
            &[&code, &at],
        )
        .await?;
        let n: i64 = tx
            .query_one("SELECT COUNT(*) FROM revoked WHERE code = $1", &[&code])
            .await?
            .get(0);
        tx.commit().await?;
        Ok(n)
    }

    async fn revoked(&self, ids: &[Uuid]) -> StoreResult<std::collections::HashSet<Uuid>> {
        let client = self.client().await?;
        let ids: Vec<&[u8]> = ids.iter().map(|id| id.as_bytes().as_slice()).collect();
        Ok(client
            .query(
                "SELECT series_id FROM revoked WHERE series_id = ANY($1)",
                &[&ids],
            )
            .await?
            .iter()
            .map(|r| uuid_of(r.get(0)))
            .collect())
    }

    async fn live_series(&self, code: &str) -> StoreResult<Vec<LiveSeries>> {
        let client = self.client().await?;
        Ok(client
            .query(
                "SELECT series_id, origin FROM series WHERE code = $1
                 AND series_id NOT IN (SELECT series_id FROM revoked) ORDER BY position",
                &[&code],
            )
            .await?
            .iter()
            .map(|r| LiveSeries {
                series_id: uuid_of(r.get(0)),
                origin: r.get(1),
            })
            .collect())
    }

    async fn resident_sealed(&self, residents: &[String]) -> StoreResult<HashMap<String, String>> {
        let client = self.client().await?;
        Ok(client
            .query(
                "SELECT resident, sealed FROM residents
                 WHERE resident = ANY($1) AND erased = 0 AND sealed IS NOT NULL",
                &[&residents],
            )
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect())
    }

    async fn certificates(&self, ids: &[Uuid]) -> StoreResult<HashMap<Uuid, String>> {
        let client = self.client().await?;
        let keys: Vec<&[u8]> = ids.iter().map(|id| id.as_bytes().as_slice()).collect();
        let rows = client
            .query(
                "SELECT series_id, certificate FROM certificates WHERE series_id = ANY($1)",
                &[&keys],
            )
            .await?;
        Ok(rows.iter().map(|r| (uuid_of(r.get(0)), r.get(1))).collect())
    }

    async fn series_key(&self, series_id: Uuid) -> StoreResult<Option<[u8; 32]>> {
        let client = self.client().await?;
        let id = series_id.as_bytes().as_slice();
        let row = client
            .query_opt(
                "SELECT public_key FROM
                   (SELECT public_key, 0 AS o FROM series WHERE series_id = $1
                    UNION ALL SELECT public_key, 1 FROM certificates WHERE series_id = $1) k
                 WHERE NOT EXISTS (SELECT 1 FROM revoked WHERE series_id = $1)
                 ORDER BY o LIMIT 1",
                &[&id],
            )
            .await?;
        Ok(row.map(|r| blob_32(r.get(0))))
    }

    async fn use_nonce(
        &self,
        series_id: Uuid,
        nonce: &str,
        expires_ms: i64,
        forget_before_ms: i64,
    ) -> StoreResult<bool> {
        let client = self.client().await?;
        client
            .execute(
                "DELETE FROM nonces WHERE expires_ms < $1",
                &[&forget_before_ms],
            )
            .await?;
        let inserted = client
            .execute(
                "INSERT INTO nonces (series_id, nonce, expires_ms) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
                &[&series_id.as_bytes().as_slice(), &nonce, &expires_ms],
            )
            .await?;
        Ok(inserted == 1)
    }

    async fn heads(&self) -> StoreResult<Vec<Head>> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT series_id, seq, hash FROM series ORDER BY position",
                &[],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| Head {
                series_id: uuid_of(r.get(0)),
                seq: r.get(1),
                hash: hex::encode(r.get::<_, Vec<u8>>(2)),
            })
            .collect())
    }

    async fn series(&self, ids: &[Uuid]) -> StoreResult<HashMap<Uuid, HubSeries>> {
        let client = self.client().await?;
        let keys: Vec<&[u8]> = ids.iter().map(|id| id.as_bytes().as_slice()).collect();
        let rows = client
            .query(
                "SELECT series_id, seq, hash, public_key, community, prefix, counter, origin, code,
                        utc_offset_minutes, last_push_at, last_pull_at
                 FROM series WHERE series_id = ANY($1)",
                &[&keys],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let id = uuid_of(r.get(0));
                (
                    id,
                    HubSeries {
                        series_id: id,
                        seq: r.get(1),
                        hash: blob_32(r.get(2)),
                        public_key: blob_32(r.get(3)),
                        community: r.get(4),
                        prefix: r.get(5),
                        counter: r.get(6),
                        origin: r.get(7),
                        code: r.get(8),
                        utc_offset_minutes: r.get(9),
                        last_push_at: r.get(10),
                        last_pull_at: r.get(11),
                    },
                )
            })
            .collect())
    }

    async fn code_holder(
        &self,
        prefix: &str,
        code: &str,
        origin: &str,
    ) -> StoreResult<Option<String>> {
        let client = self.client().await?;
        Ok(client
            .query_opt(
                "SELECT counter FROM series WHERE prefix = $1 AND code = $2 AND origin != $3 LIMIT 1",
                &[&prefix, &code, &origin],
            )
            .await?
            .map(|r| r.get(0)))
    }

    async fn hashes(
        &self,
        series_id: Uuid,
        from: i64,
        to: i64,
    ) -> StoreResult<HashMap<i64, [u8; 32]>> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT seq, hash FROM entries WHERE series_id = $1 AND seq BETWEEN $2 AND $3",
                &[&series_id.as_bytes().as_slice(), &from, &to],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), blob_32(r.get(1)))).collect())
    }

    async fn claimants(&self, claims: &[String]) -> StoreResult<HashMap<String, Claimant>> {
        if claims.is_empty() {
            return Ok(HashMap::new());
        }
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT c.claim, c.id, c.series_id, c.seq, NOT EXISTS (SELECT 1 FROM duplicates d
                     WHERE d.series_id = c.series_id AND d.seq = c.seq)
                 FROM claims c WHERE c.claim = ANY($1)",
                &[&claims],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    r.get(0),
                    Claimant {
                        id: uuid_of(r.get(1)),
                        series_id: uuid_of(r.get(2)),
                        seq: r.get(3),
                        counts: r.get(4),
                    },
                )
            })
            .collect())
    }

    async fn skews(&self, limit: i64) -> StoreResult<Vec<SkewRow>> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT k.series_id, k.seq, k.skew, k.recorded_at, k.compared_with,
                        s.counter || COALESCE(' ' || s.code, '')
                 FROM clock_skews k JOIN series s ON s.series_id = k.series_id
                 JOIN entries e ON e.series_id = k.series_id AND e.seq = k.seq
                 ORDER BY e.received_at DESC, k.series_id, k.seq LIMIT $1",
                &[&limit],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| SkewRow {
                series_id: uuid_of(r.get(0)),
                seq: r.get(1),
                skew: r.get(2),
                recorded_at: r.get(3),
                compared_with: r.get(4),
                counter: r.get(5),
            })
            .collect())
    }

    async fn shared_passbooks(&self) -> StoreResult<Vec<super::SharedPassbookRow>> {
        let client = self.client().await?;
        let rows = client
            .query(super::SHARED_PASSBOOKS_SELECT, &[])
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
        Ok(super::shared_passbook_rows(rows))
    }

    async fn duplicates(&self) -> StoreResult<Vec<DuplicateRow>> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT d.series_id, d.seq, d.claim, s.counter, s.code, e.recorded_at
                 FROM duplicates d JOIN series s ON s.series_id = d.series_id
                 JOIN entries e ON e.series_id = d.series_id AND e.seq = d.seq
                 ORDER BY e.recorded_at, d.series_id, d.seq, d.claim",
                &[],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| DuplicateRow {
                series_id: uuid_of(r.get(0)),
                seq: r.get(1),
                claim: r.get(2),
                counter: r.get(3),
                code: r.get(4),
                recorded_at: r.get(5),
            })
            .collect())
    }

    async fn keep_claims(&self, origins: &[String]) -> StoreResult<()> {
        let mut origins = origins.to_vec();
        origins.sort();
        origins.dedup();
        let mut client = self.client().await?;
        for origin in &origins {
            let tx = client.transaction().await?;
            // The locks an append takes, in its order: the counter's series, then its claims.
            tx.query(
                "SELECT 1 FROM series WHERE origin = $1 ORDER BY series_id FOR UPDATE",
                &[origin],
            )
            .await?;
            lock_claims_of(&tx, &[origin.as_str()]).await?;
            // The txns the counter's entries claim (`district::claims::claims_of`): its entries
            // that move points, by their envelope's txn, the earliest booked holding each.
            tx.execute(
                "INSERT INTO claims (claim, id, series_id, seq)
                 SELECT 'txn:' || s.origin || ':' || (convert_from(e.body, 'UTF8')::jsonb ->> 'txn'),
                        e.id, e.series_id, e.seq
                 FROM entries e JOIN series s ON s.series_id = e.series_id
                 WHERE s.origin = $1
                   AND e.kind IN ('points_earned', 'points_redeemed', 'reversed', 'points_adjusted')
                   AND convert_from(e.body, 'UTF8')::jsonb ->> 'txn' IS NOT NULL
                 ORDER BY e.id
                 ON CONFLICT (claim) DO NOTHING",
                &[origin],
            )
            .await?;
            tx.execute(
                "INSERT INTO claims_kept (origin) VALUES ($1) ON CONFLICT DO NOTHING",
                &[origin],
            )
            .await?;
            tx.commit().await?;
            tracing::info!(origin = %origin, "claims: a counter's txns are claimed from now on");
        }
        Ok(())
    }

    async fn taken_ids(&self, ids: &[Uuid]) -> StoreResult<std::collections::HashSet<Uuid>> {
        let client = self.client().await?;
        let keys: Vec<&[u8]> = ids.iter().map(|id| id.as_bytes().as_slice()).collect();
        let rows = client
            .query("SELECT id FROM entries WHERE id = ANY($1)", &[&keys])
            .await?;
        Ok(rows.iter().map(|r| uuid_of(r.get(0))).collect())
    }

    async fn append(&self, append: Append) -> StoreResult<AppendOutcome> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let mut new_series = append.new_series.clone();
        new_series.sort_by_key(|s| s.series_id);
        for s in &new_series {
            tx.execute(
                "INSERT INTO series (series_id, seq, hash, public_key, community, prefix, counter,
                     origin, code, utc_offset_minutes)
                 VALUES ($1, 0, ''::bytea, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (series_id) DO NOTHING",
                &[
                    &s.series_id.as_bytes().as_slice(),
                    &s.public_key.as_slice(),
                    &s.community,
                    &s.prefix,
                    &s.counter,
                    &s.origin,
                    &s.code,
                    &s.utc_offset_minutes,
                ],
            )
            .await?;
        }
        // Lock the series written, in one order, and check they are where they were judged.
        let mut expected = append.expected.clone();
        expected.sort_by_key(|(id, _)| *id);
        let ids: Vec<&[u8]> = expected
            .iter()
            .map(|(id, _)| id.as_bytes().as_slice())
            .collect();
        let held: HashMap<Uuid, i64> = tx
            .query(
                "SELECT series_id, seq FROM series WHERE series_id = ANY($1)
                 ORDER BY series_id FOR UPDATE",
                &[&ids],
            )
            .await?
            .iter()
            .map(|r| (uuid_of(r.get(0)), r.get(1)))
            .collect();
        for (id, seq) in &expected {
            if held.get(id).copied().unwrap_or(0) != *seq {
                return Ok(AppendOutcome::Moved);
            }
        }
        // Before anything else is written: a push judged as if its claims were unheld finds
        // out here that one is held, and goes back to be judged against its holder.
        let claims = match kept_claims(&tx, &append.claims).await? {
            Ok(claims) => claims,
            Err(origins) => return Ok(AppendOutcome::KeepClaims(origins)),
        };
        if !take_claims(&tx, claims).await? {
            return Ok(AppendOutcome::Moved);
        }
        if !append.entries.is_empty() {
            let e = &append.entries;
            let series_ids: Vec<&[u8]> = e
                .iter()
                .map(|e| e.series_id.as_bytes().as_slice())
                .collect();
            let seqs: Vec<i64> = e.iter().map(|e| e.seq).collect();
            let entry_ids: Vec<&[u8]> = e.iter().map(|e| e.id.as_bytes().as_slice()).collect();
            let hashes: Vec<&[u8]> = e.iter().map(|e| e.hash.as_slice()).collect();
            let prevs: Vec<&[u8]> = e.iter().map(|e| e.prev_hash.as_slice()).collect();
            let signatures: Vec<&[u8]> = e.iter().map(|e| e.signature.as_slice()).collect();
            let bodies: Vec<&[u8]> = e.iter().map(|e| e.body.as_slice()).collect();
            let kinds: Vec<&str> = e.iter().map(|e| e.kind.as_str()).collect();
            let recorded: Vec<&str> = e.iter().map(|e| e.recorded_at.as_str()).collect();
            tx.execute(
                "INSERT INTO entries (series_id, seq, id, hash, prev_hash, signature, body, kind,
                     recorded_at, received_at)
                 SELECT c, s, i, h, p, g, b, k, r, $9
                 FROM UNNEST($1::bytea[], $2::int8[], $3::bytea[], $4::bytea[], $5::bytea[],
                             $6::bytea[], $7::text[], $8::text[], $10::bytea[])
                      AS t(c, s, h, p, g, b, k, r, i)",
                &[
                    &series_ids,
                    &seqs,
                    &hashes,
                    &prevs,
                    &signatures,
                    &bodies,
                    &kinds,
                    &recorded,
                    &append.at,
                    &entry_ids,
                ],
            )
            .await?;
            let mut heads: HashMap<Uuid, (i64, [u8; 32])> = HashMap::new();
            for e in e {
                heads.insert(e.series_id, (e.seq, e.hash));
            }
            let mut heads: Vec<_> = heads.into_iter().collect();
            heads.sort_by_key(|(id, _)| *id);
            for (id, (seq, hash)) in heads {
                tx.execute(
                    "UPDATE series SET seq = $2, hash = $3, last_push_at = $4 WHERE series_id = $1",
                    &[
                        &id.as_bytes().as_slice(),
                        &seq,
                        &hash.as_slice(),
                        &append.at,
                    ],
                )
                .await?;
            }
        }
        apply_derived(&tx, &append.derived, &append.duplicates).await?;
        write_duplicates(&tx, &append).await?;
        for e in &append.evidence {
            tx.execute(
                "INSERT INTO evidence (series_id, seq, hash, prev_hash, signature, body, reason, at, source)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
                &[
                    &e.series_id.as_bytes().as_slice(),
                    &e.seq,
                    &e.hash.as_slice(),
                    &e.prev_hash.as_slice(),
                    &e.signature.as_slice(),
                    &e.body,
                    &e.reason,
                    &append.at,
                    &append.source,
                ],
            )
            .await?;
        }
        for key in &append.keys {
            tx.execute(
                // Keys come checked (they open the resident's data): a later one replaces one
                // kept before keys were checked.
                "INSERT INTO resident_keys (resident, nonce, ciphertext)
                 SELECT $1, $2, $3 WHERE NOT EXISTS
                   (SELECT 1 FROM residents WHERE resident = $1 AND erased = 1)
                 ON CONFLICT (resident) DO UPDATE SET nonce = excluded.nonce,
                   ciphertext = excluded.ciphertext",
                &[&key.resident, &key.nonce, &key.ciphertext],
            )
            .await?;
        }
        tx.execute(
            "INSERT INTO sync_log (series_id, at, direction, entries, new, present, refused, forks)
             VALUES ($1, $2, 'push', $3, $4, $5, $6, $7)",
            &[
                &append.series_id.as_bytes().as_slice(),
                &append.at,
                &append.log.entries,
                &append.log.new,
                &append.log.present,
                &append.log.refused,
                &append.log.forks,
            ],
        )
        .await?;
        tx.execute(
            "UPDATE series SET last_push_at = $2 WHERE series_id = $1",
            &[&append.series_id.as_bytes().as_slice(), &append.at],
        )
        .await?;
        tx.commit().await?;
        Ok(AppendOutcome::Done)
    }

    async fn entries(&self, series_id: Uuid, from: i64, to: i64) -> StoreResult<Vec<WireEntry>> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT seq, prev_hash, signature, body FROM entries
                 WHERE series_id = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq",
                &[&series_id.as_bytes().as_slice(), &from, &to],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let signature: Vec<u8> = r.get(2);
                WireEntry {
                    seq: r.get(0),
                    prev_hash: blob_32(r.get(1)),
                    signature: signature.try_into().unwrap_or([0; 64]),
                    body: r.get(3),
                }
            })
            .collect())
    }

    async fn resident_keys(&self, residents: &[String]) -> StoreResult<Vec<SealedResidentKey>> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT resident, nonce, ciphertext FROM resident_keys WHERE resident = ANY($1)",
                &[&residents],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| SealedResidentKey {
                resident: r.get(0),
                nonce: r.get(1),
                ciphertext: r.get(2),
            })
            .collect())
    }

    async fn log_pull(&self, series_id: Uuid, at: &str, counts: SyncCounts) -> StoreResult<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute(
            "INSERT INTO sync_log (series_id, at, direction, entries, new, present, refused, forks)
             VALUES ($1, $2, 'pull', $3, $4, $5, $6, $7)",
            &[
                &series_id.as_bytes().as_slice(),
                &at,
                &counts.entries,
                &counts.new,
                &counts.present,
                &counts.refused,
                &counts.forks,
            ],
        )
        .await?;
        tx.execute(
            "UPDATE series SET last_pull_at = $2 WHERE series_id = $1",
            &[&series_id.as_bytes().as_slice(), &at],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn overdrafts(&self) -> StoreResult<Vec<PassbookRow>> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!("{PASSBOOK_ROW_SELECT} WHERE b.points < 0 ORDER BY b.points, p.passbook"),
                &[],
            )
            .await?;
        Ok(rows.iter().map(pg_passbook_row).collect())
    }

    async fn evidence(&self, limit: i64) -> StoreResult<Vec<EvidenceRow>> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT COALESCE(s.counter, ''), e.series_id, e.seq, e.reason, e.hash, e.at, e.source
                 FROM evidence e LEFT JOIN series s ON s.series_id = e.series_id
                 ORDER BY e.id DESC LIMIT $1",
                &[&limit],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let id = uuid_of(r.get(1));
                let counter: String = r.get(0);
                EvidenceRow {
                    counter: if counter.is_empty() {
                        id.to_string()[..8].to_string()
                    } else {
                        counter
                    },
                    series_id: id,
                    seq: r.get(2),
                    reason: r.get(3),
                    hash: hex::encode(r.get::<_, Vec<u8>>(4)),
                    at: r.get(5),
                    source: r.get(6),
                }
            })
            .collect())
    }

    async fn entry_count(&self) -> StoreResult<i64> {
        let client = self.client().await?;
        Ok(client
            .query_one("SELECT COALESCE(SUM(seq), 0)::BIGINT FROM series", &[])
            .await?
            .get(0))
    }

    async fn figures(&self, first: &str, last: &str) -> StoreResult<crate::report::build::Figures> {
        use crate::report::build::{CounterName, Figures, TallyRow};
        let client = self.client().await?;
        let tallies = client
            .query(
                "SELECT day, origin, kind, key, count, qty, minutes, points FROM tallies
                 WHERE day BETWEEN $1 AND $2",
                &[&first, &last],
            )
            .await?
            .iter()
            .map(|r| TallyRow {
                day: r.get(0),
                origin: r.get(1),
                kind: r.get(2),
                key: r.get(3),
                count: r.get(4),
                qty: r.get(5),
                minutes: r.get(6),
                points: r.get(7),
            })
            .collect();
        let visits = client
            .query(
                "SELECT day, origin, visits FROM visits WHERE day BETWEEN $1 AND $2",
                &[&first, &last],
            )
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
        let mut figures = Figures {
            tallies,
            visits,
            ..Figures::default()
        };
        for r in client
            .query("SELECT origin, what, code, name FROM names", &[])
            .await?
        {
            let what: &str = r.get(1);
            let key = (r.get(0), r.get(2));
            match what {
                "item" => figures.items.insert(key, r.get(3)),
                _ => figures.activities.insert(key, r.get(3)),
            };
        }
        figures.counters = client
            .query(
                "SELECT origin, counter, community FROM series ORDER BY position DESC",
                &[],
            )
            .await?
            .iter()
            .map(|r| {
                (
                    r.get(0),
                    CounterName {
                        counter: r.get(1),
                        community: r.get(2),
                    },
                )
            })
            .collect();
        Ok(figures)
    }

    async fn passbook(&self, passbook: &str) -> StoreResult<Option<PassbookRow>> {
        let client = self.client().await?;
        Ok(client
            .query_opt(
                &format!("{PASSBOOK_ROW_SELECT} WHERE p.passbook = $1"),
                &[&passbook],
            )
            .await?
            .as_ref()
            .map(pg_passbook_row))
    }

    async fn postings(&self, account: &str) -> StoreResult<Vec<PostingRow>> {
        let client = self.client().await?;
        Ok(client
            .query(
                "SELECT p.series_id, p.seq, p.points, e.recorded_at, e.body, s.origin,
                        s.utc_offset_minutes
                 FROM postings p
                 JOIN entries e ON e.series_id = p.series_id AND e.seq = p.seq
                 JOIN series s ON s.series_id = p.series_id
                 WHERE p.account = $1 ORDER BY e.recorded_at, p.series_id, p.seq",
                &[&account],
            )
            .await?
            .iter()
            .map(|r| PostingRow {
                series_id: uuid_of(r.get(0)),
                seq: r.get(1),
                points: r.get(2),
                recorded_at: r.get(3),
                body: r.get(4),
                origin: r.get(5),
                utc_offset_minutes: r.get(6),
            })
            .collect())
    }

    async fn put_admin(&self, name: &str, password: &str, at: &str) -> StoreResult<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute(
            "INSERT INTO admins (name, password, failures, locked_until, created_at)
             VALUES ($1, $2, 0, 0, $3)
             ON CONFLICT (name) DO UPDATE SET password = excluded.password, failures = 0,
               locked_until = 0",
            &[&name, &password, &at],
        )
        .await?;
        tx.execute("DELETE FROM web_sessions WHERE admin = $1", &[&name])
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn admins(&self) -> StoreResult<Vec<String>> {
        let client = self.client().await?;
        Ok(client
            .query("SELECT name FROM admins ORDER BY name", &[])
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    async fn remove_admin(&self, name: &str) -> StoreResult<AdminRemoval> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        // Every administrator's row locked: two removals at once cannot remove the last two.
        let admins: Vec<String> = tx
            .query("SELECT name FROM admins FOR UPDATE", &[])
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let removal = match (admins.iter().any(|a| a == name), admins.len()) {
            (false, _) => AdminRemoval::Unknown,
            (true, ..=1) => AdminRemoval::Last,
            (true, _) => {
                tx.execute("DELETE FROM admins WHERE name = $1", &[&name])
                    .await?;
                tx.execute("DELETE FROM web_sessions WHERE admin = $1", &[&name])
                    .await?;
                AdminRemoval::Removed
            }
        };
        tx.commit().await?;
        Ok(removal)
    }

    async fn admin_attempt(
        &self,
        name: &str,
        now_ms: i64,
        failures_max: i64,
        lock_ms: i64,
    ) -> StoreResult<Attempt> {
        let client = self.client().await?;
        // One statement: the row is locked while it is counted.
        let counted = client
            .query_opt(
                "UPDATE admins SET failures = CASE WHEN failures + 1 >= $2::BIGINT THEN 0 ELSE failures + 1 END,
                   locked_until = CASE WHEN failures + 1 >= $2::BIGINT THEN $3::BIGINT ELSE 0::BIGINT END
                 WHERE name = $1 AND locked_until <= $4
                 RETURNING password",
                &[&name, &failures_max, &(now_ms + lock_ms), &now_ms],
            )
            .await?;
        if let Some(row) = counted {
            return Ok(Attempt::Check {
                password: row.get(0),
            });
        }
        Ok(client
            .query_opt("SELECT locked_until FROM admins WHERE name = $1", &[&name])
            .await?
            .map_or(Attempt::Unknown, |r| Attempt::Locked { until_ms: r.get(0) }))
    }

    async fn admin_passed(&self, name: &str) -> StoreResult<()> {
        let client = self.client().await?;
        client
            .execute(
                "UPDATE admins SET failures = 0, locked_until = 0 WHERE name = $1",
                &[&name],
            )
            .await?;
        Ok(())
    }

    async fn put_web_session(
        &self,
        token_hash: &str,
        admin: &str,
        expires_ms: i64,
        now_ms: i64,
    ) -> StoreResult<()> {
        let client = self.client().await?;
        client
            .execute(
                "DELETE FROM web_sessions WHERE expires_ms <= $1",
                &[&now_ms],
            )
            .await?;
        client
            .execute(
                "INSERT INTO web_sessions (token_hash, admin, expires_ms) VALUES ($1, $2, $3)",
                &[&token_hash, &admin, &expires_ms],
            )
            .await?;
        Ok(())
    }

    async fn web_session(&self, token_hash: &str, now_ms: i64) -> StoreResult<Option<String>> {
        let client = self.client().await?;
        Ok(client
            .query_opt(
                "SELECT admin FROM web_sessions WHERE token_hash = $1 AND expires_ms > $2",
                &[&token_hash, &now_ms],
            )
            .await?
            .map(|r| r.get(0)))
    }

    async fn drop_web_session(&self, token_hash: &str) -> StoreResult<()> {
        let client = self.client().await?;
        client
            .execute(
                "DELETE FROM web_sessions WHERE token_hash = $1",
                &[&token_hash],
            )
            .await?;
        Ok(())
    }
}

fn pg_passbook_row(r: &tokio_postgres::Row) -> PassbookRow {
    passbook_row(
        r.get(0),
        r.get(1),
        r.get(2),
        r.get(3),
        r.get(4),
        r.get(5),
        r.get(6),
        r.get::<_, i32>(7) != 0,
    )
}

/// Claims from four arrays (names, holders' ids, series, seqs), in the arrays' order; the
/// caller says what a claim held already does.
const INSERT_CLAIMS: &str = "INSERT INTO claims (claim, id, series_id, seq)
     SELECT c, i, k, s FROM UNNEST($1::text[], $2::bytea[], $3::bytea[], $4::int8[])
          WITH ORDINALITY AS t(c, i, k, s, n) ORDER BY n";

/// Locks the claims of these counters' txns for the transaction, in the order given (sorted):
/// two appends that each bring a first series of one counter, or an append and
/// [`Store::keep_claims`], take turns.
async fn lock_claims_of(
    tx: &deadpool_postgres::Transaction<'_>,
    origins: &[&str],
) -> StoreResult<()> {
    for origin in origins {
        tx.query(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            &[&format!("claims:{origin}")],
        )
        .await?;
    }
    Ok(())
}

/// The claims of a push this store writes: all but the txn claims of a counter with one
/// series and whose txn claims are not kept ([`Store::keep_claims`]), which nothing can
/// contest. `Err`: the counters that have a second series now and whose txns must be claimed
/// first.
async fn kept_claims<'a>(
    tx: &deadpool_postgres::Transaction<'_>,
    claims: &'a [ClaimRow],
) -> StoreResult<Result<Vec<&'a ClaimRow>, Vec<String>>> {
    let origins: std::collections::BTreeSet<&str> = claims
        .iter()
        .filter_map(|c| crate::district::claims::txn_origin(&c.claim))
        .collect();
    if origins.is_empty() {
        return Ok(Ok(claims.iter().collect()));
    }
    let origins: Vec<&str> = origins.into_iter().collect();
    lock_claims_of(tx, &origins).await?;
    let rows = tx
        .query(
            "SELECT o, EXISTS (SELECT 1 FROM claims_kept k WHERE k.origin = o),
                    (SELECT count(*) FROM series s WHERE s.origin = o)
             FROM UNNEST($1::text[]) AS o",
            &[&origins],
        )
        .await?;
    let mut unkept = std::collections::HashSet::new();
    let mut to_keep = Vec::new();
    for row in &rows {
        let (origin, kept, series): (String, bool, i64) = (row.get(0), row.get(1), row.get(2));
        match (kept, series) {
            (true, _) => {}
            (false, 0 | 1) => {
                unkept.insert(origin);
            }
            (false, _) => to_keep.push(origin),
        }
    }
    if !to_keep.is_empty() {
        return Ok(Err(to_keep));
    }
    Ok(Ok(claims
        .iter()
        .filter(|c| {
            crate::district::claims::txn_origin(&c.claim).is_none_or(|o| !unkept.contains(o))
        })
        .collect()))
}

/// Takes the claims a push made or changed, if each still has the holder it was judged
/// against; `false` (and the transaction must end unwritten) where one moved since.
///
/// A push nearly always makes new claims only (`expected` empty): one `INSERT … ON CONFLICT
/// DO NOTHING` takes them and says which it took, so a claim another process took meanwhile
/// is seen without reading and locking every claim first (that read, and an upsert after it,
/// cost a PostgreSQL hub a quarter of its ingest). Where a push displaces a holder (an
/// earlier-booked copy arriving late), the claims are locked and compared first. Either way
/// they are taken in the order of their names, so two processes never wait on each other in
/// a circle.
async fn take_claims(
    tx: &deadpool_postgres::Transaction<'_>,
    mut claims: Vec<&ClaimRow>,
) -> StoreResult<bool> {
    if claims.is_empty() {
        return Ok(true);
    }
    claims.sort_by(|a, b| a.claim.cmp(&b.claim));
    debug_assert!(claims.windows(2).all(|w| w[0].claim != w[1].claim));
    let names: Vec<&str> = claims.iter().map(|c| c.claim.as_str()).collect();
    let ids: Vec<&[u8]> = claims
        .iter()
        .map(|c| c.holder.id.as_bytes().as_slice())
        .collect();
    let series_ids: Vec<&[u8]> = claims
        .iter()
        .map(|c| c.holder.series_id.as_bytes().as_slice())
        .collect();
    let seqs: Vec<i64> = claims.iter().map(|c| c.holder.seq).collect();
    if claims.iter().all(|c| c.expected.is_none()) {
        let taken = tx
            .query(
                &format!("{INSERT_CLAIMS} ON CONFLICT (claim) DO NOTHING RETURNING 1"),
                &[&names, &ids, &series_ids, &seqs],
            )
            .await?;
        return Ok(taken.len() == claims.len());
    }
    let held: HashMap<String, Uuid> = tx
        .query(
            "SELECT claim, id FROM claims WHERE claim = ANY($1) ORDER BY claim FOR UPDATE",
            &[&names],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), uuid_of(r.get(1))))
        .collect();
    if !claims
        .iter()
        .all(|c| held.get(&c.claim).copied() == c.expected)
    {
        return Ok(false);
    }
    tx.execute(
        &format!(
            "{INSERT_CLAIMS} ON CONFLICT (claim) DO UPDATE SET id = excluded.id,
               series_id = excluded.series_id, seq = excluded.seq"
        ),
        &[&names, &ids, &series_ids, &seqs],
    )
    .await?;
    Ok(true)
}

/// The entries that lost a claim, and the entries whose time cannot be right.
async fn write_duplicates(
    tx: &deadpool_postgres::Transaction<'_>,
    append: &Append,
) -> StoreResult<()> {
    for (series_id, seq, claim) in &append.duplicates {
        tx.execute(
            "INSERT INTO duplicates (series_id, seq, claim) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
            &[&series_id.as_bytes().as_slice(), seq, claim],
        )
        .await?;
    }
    for s in &append.skews {
        tx.execute(
            "INSERT INTO clock_skews (series_id, seq, skew, recorded_at, compared_with)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            &[
                &s.series_id.as_bytes().as_slice(),
                &s.seq,
                &s.skew,
                &s.recorded_at,
                &s.compared_with,
            ],
        )
        .await?;
    }
    Ok(())
}

/// Applies what entries do to the derived tables. `stopped`: the entries that stopped counting
/// (a claim another entry made first), whose movements leave the statements. Additions to one
/// balance are summed first (one row per account and statement) and taken in a fixed order, so
/// that two processes never wait on each other in a circle.
async fn apply_derived(
    tx: &deadpool_postgres::Transaction<'_>,
    derived: &[Derived],
    stopped: &[(Uuid, i64, String)],
) -> StoreResult<()> {
    let mut posts: std::collections::BTreeMap<&str, i64> = std::collections::BTreeMap::new();
    for d in derived {
        if let Derived::Post { account, points } = d {
            *posts.entry(account).or_default() += points;
        }
    }
    if !posts.is_empty() {
        let accounts: Vec<&str> = posts.keys().copied().collect();
        let points: Vec<i64> = posts.values().copied().collect();
        tx.execute(
            "INSERT INTO balances (account, points)
             SELECT a, p FROM UNNEST($1::text[], $2::int8[]) AS t(a, p)
             ON CONFLICT (account) DO UPDATE SET points = balances.points + excluded.points",
            &[&accounts, &points],
        )
        .await?;
    }
    let report = ReportRows::of(derived);
    if !report.tallies.is_empty() {
        let mut cols: [Vec<&str>; 4] = Default::default();
        let mut vals: [Vec<i64>; 4] = Default::default();
        for ((day, origin, kind, key), v) in &report.tallies {
            for (c, x) in cols.iter_mut().zip([day, origin, kind, key]) {
                c.push(x);
            }
            for (c, x) in vals.iter_mut().zip(v) {
                c.push(*x);
            }
        }
        tx.execute(
            "INSERT INTO tallies (day, origin, kind, key, count, qty, minutes, points)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[],
                                  $5::int8[], $6::int8[], $7::int8[], $8::int8[])
             ON CONFLICT (day, origin, kind, key) DO UPDATE SET
               count = tallies.count + excluded.count, qty = tallies.qty + excluded.qty,
               minutes = tallies.minutes + excluded.minutes,
               points = tallies.points + excluded.points",
            &[
                &cols[0], &cols[1], &cols[2], &cols[3], &vals[0], &vals[1], &vals[2], &vals[3],
            ],
        )
        .await?;
    }
    if !report.served.is_empty() {
        let mut cols: [Vec<&str>; 3] = Default::default();
        for (day, origin, passbook) in &report.served {
            for (c, x) in cols.iter_mut().zip([day, origin, passbook]) {
                c.push(x);
            }
        }
        // A passbook served at a counter on a day is one visit: counted when its row is new.
        let new = tx
            .query(
                "INSERT INTO served (day, origin, passbook)
                 SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[])
                 ON CONFLICT DO NOTHING RETURNING day, origin",
                &[&cols[0], &cols[1], &cols[2]],
            )
            .await?;
        let mut visits: std::collections::BTreeMap<(String, String), i64> = Default::default();
        for row in &new {
            *visits.entry((row.get(0), row.get(1))).or_default() += 1;
        }
        let mut keys: [Vec<&str>; 2] = Default::default();
        let mut counts: Vec<i64> = Vec::with_capacity(visits.len());
        for ((day, origin), n) in &visits {
            keys[0].push(day);
            keys[1].push(origin);
            counts.push(*n);
        }
        tx.execute(
            "INSERT INTO visits (day, origin, visits)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::bigint[])
             ON CONFLICT (day, origin) DO UPDATE SET visits = visits.visits + excluded.visits",
            &[&keys[0], &keys[1], &counts],
        )
        .await?;
    }
    if !report.postings.is_empty() {
        let mut accounts = Vec::with_capacity(report.postings.len());
        let mut ids: Vec<&[u8]> = Vec::with_capacity(report.postings.len());
        let mut seqs = Vec::with_capacity(report.postings.len());
        let mut points = Vec::with_capacity(report.postings.len());
        for ((account, series_id, seq), p) in &report.postings {
            accounts.push(*account);
            ids.push(series_id.as_bytes().as_slice());
            seqs.push(*seq);
            points.push(*p);
        }
        tx.execute(
            "INSERT INTO postings (account, series_id, seq, points)
             SELECT * FROM UNNEST($1::text[], $2::bytea[], $3::int8[], $4::int8[])
             ON CONFLICT (account, series_id, seq) DO UPDATE SET
               points = postings.points + excluded.points",
            &[&accounts, &ids, &seqs, &points],
        )
        .await?;
        // An entry that stopped counting (a claim another entry made first): its movement
        // leaves the statement. Only those (and rows of 0) are looked for, not every
        // redemption: a DELETE joined with every posting of a push cost as much as writing it.
        let mut gone: (Vec<&str>, Vec<&[u8]>, Vec<i64>) = Default::default();
        for (i, p) in points.iter().enumerate() {
            let stopped_here = || {
                stopped
                    .iter()
                    .any(|(s, q, _)| s.as_bytes().as_slice() == ids[i] && *q == seqs[i])
            };
            if *p == 0 || (*p < 0 && stopped_here()) {
                gone.0.push(accounts[i]);
                gone.1.push(ids[i]);
                gone.2.push(seqs[i]);
            }
        }
        if !gone.0.is_empty() {
            tx.execute(
                "DELETE FROM postings p USING UNNEST($1::text[], $2::bytea[], $3::int8[])
                   AS t(a, c, s)
                 WHERE p.account = t.a AND p.series_id = t.c AND p.seq = t.s AND p.points = 0",
                &[&gone.0, &gone.1, &gone.2],
            )
            .await?;
        }
    }
    for d in derived {
        match d {
            Derived::Post { .. }
            | Derived::Tally { .. }
            | Derived::Served { .. }
            | Derived::Posting { .. } => {}
            Derived::Name {
                origin,
                what,
                code,
                name,
            } => {
                tx.execute(
                    "INSERT INTO names (origin, what, code, name) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (origin, what, code) DO UPDATE SET name = excluded.name",
                    &[origin, what, code, name],
                )
                .await?;
            }
            Derived::Passbook {
                passbook,
                resident,
                origin,
            } => {
                tx.execute(
                    "INSERT INTO passbooks (passbook, resident, origin) VALUES ($1, $2, $3)
                     ON CONFLICT DO NOTHING",
                    &[passbook, resident, origin],
                )
                .await?;
            }
            Derived::Token {
                token_sha256,
                passbook,
                resident,
                revoked,
            } => {
                tx.execute(
                    "INSERT INTO passbook_tokens (token_sha256, passbook, resident, revoked)
                     VALUES ($1, $2, $3, $4)
                     ON CONFLICT (token_sha256) DO UPDATE SET
                       resident = GREATEST(passbook_tokens.resident, excluded.resident),
                       revoked = passbook_tokens.revoked OR excluded.revoked",
                    &[token_sha256, passbook, resident, revoked],
                )
                .await?;
            }
            Derived::Register {
                resident,
                origin,
                sealed,
            } => {
                tx.execute(
                    "INSERT INTO residents (resident, origin, sealed, erased) VALUES ($1, $2, $3, 0)
                     ON CONFLICT (resident) DO UPDATE SET origin = excluded.origin,
                       sealed = CASE WHEN residents.erased = 0 THEN excluded.sealed ELSE NULL END",
                    &[resident, origin, sealed],
                )
                .await?;
            }
            Derived::Update {
                resident,
                origin,
                sealed,
            } => {
                tx.execute(
                    "UPDATE residents SET sealed = $3 WHERE resident = $1 AND origin = $2 AND erased = 0",
                    &[resident, origin, sealed],
                )
                .await?;
            }
            Derived::Erase { resident } => {
                tx.execute(
                    "INSERT INTO residents (resident, origin, sealed, erased) VALUES ($1, NULL, NULL, 1)
                     ON CONFLICT (resident) DO UPDATE SET sealed = NULL, erased = 1",
                    &[resident],
                )
                .await?;
                tx.execute("DELETE FROM resident_keys WHERE resident = $1", &[resident])
                    .await?;
            }
        }
    }
    Ok(())
}
