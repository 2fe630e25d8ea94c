//! Housekeeping: abandoned uploads, shares never filled, expired
//! revocations, and blobs nothing refers to. Safe to run on several replicas
//! at once: every step is idempotent.

use std::time::Duration;

use chrono::Utc;
use sachet_blob::BlobError;
use sachet_store::StoreError;

use crate::state::AppState;

/// How old things must be before the cleanup removes them.
#[derive(Clone, Debug)]
pub struct CleanupPolicy {
    /// An upload with no chunk for this long is abandoned.
    pub abandoned_upload: Duration,
    /// A share without content for this long is removed.
    pub empty_share: Duration,
    /// A blob nothing refers to is removed once this old, so that one being
    /// written right now is never taken for an orphan.
    pub orphan_grace: Duration,
}

impl Default for CleanupPolicy {
    fn default() -> CleanupPolicy {
        CleanupPolicy {
            abandoned_upload: Duration::from_secs(24 * 3600),
            empty_share: Duration::from_secs(24 * 3600),
            orphan_grace: Duration::from_secs(3600),
        }
    }
}

/// What one cleanup removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CleanupReport {
    /// Abandoned uploads.
    pub uploads: u64,
    /// Shares that never received content.
    pub shares: u64,
    /// Revocations of expired tokens.
    pub revocations: u64,
    /// Blobs of replaced or deleted content, past their grace period.
    pub doomed_blobs: u64,
    /// Leftovers of interrupted blob writes.
    pub incomplete_blobs: u64,
    /// Blobs no share or chunk referred to.
    pub orphan_blobs: u64,
}

impl std::fmt::Display for CleanupReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "removed {} abandoned uploads, {} empty shares, {} expired revocations, \
             {} blobs of replaced content, {} interrupted blob writes and {} orphan blobs",
            self.uploads,
            self.shares,
            self.revocations,
            self.doomed_blobs,
            self.incomplete_blobs,
            self.orphan_blobs
        )
    }
}

/// A cleanup step failed; the rest may not have run.
#[derive(Debug, thiserror::Error)]
pub enum CleanupError {
    /// The metadata store failed.
    #[error("cleanup: metadata store failed")]
    Store(#[from] StoreError),
    /// The blob store failed.
    #[error("cleanup: blob store failed")]
    Blob(#[from] BlobError),
}

/// The youngest a leftover of an interrupted blob write can be.
const INCOMPLETE_FLOOR: Duration = Duration::from_secs(600);

/// How many blob keys one reference query checks.
const SWEEP_BATCH: usize = 500;

impl AppState {
    /// Runs every cleanup step once.
    pub async fn cleanup(&self, policy: &CleanupPolicy) -> Result<CleanupReport, CleanupError> {
        let now = Utc::now();
        let before = |age: Duration| now - chrono::Duration::from_std(age).unwrap_or_default();
        let mut report = CleanupReport::default();

        for upload in self
            .store
            .stale_uploads(before(policy.abandoned_upload))
            .await?
        {
            let blobs = self.store.discard_upload(upload).await?;
            self.remove_blobs(blobs).await;
            report.uploads += 1;
        }

        // Completed uploads are kept as long as abandoned ones, for late
        // retries of their chunks.
        self.store
            .purge_completed_uploads(before(policy.abandoned_upload))
            .await?;

        for share in self
            .store
            .stale_empty_shares(before(policy.empty_share))
            .await?
        {
            match self.store.delete_share(share, self.doom_time()).await {
                Ok(blobs) => {
                    self.remove_blobs(blobs).await;
                    report.shares += 1;
                }
                // Locked or deleted meanwhile: nothing to do.
                Err(StoreError::Locked | StoreError::NotFound(_)) => {}
                Err(err) => return Err(err.into()),
            }
        }

        // A revocation is kept a day past its token's expiry, longer than
        // any clock leeway the configuration allows.
        report.revocations = self.store.purge_revocations(now).await?;
        // A write in progress touches its file at least once per idle
        // timeout; only files untouched far longer are leftovers.
        let incomplete_age = policy
            .orphan_grace
            .max(INCOMPLETE_FLOOR)
            .max(self.limits.idle_timeout * 2);
        report.incomplete_blobs = self.blobs.purge_incomplete(before(incomplete_age)).await?;
        let login_window = (self.limits.logins_per_user.window)
            .max(self.limits.logins_per_address.window)
            .max(self.limits.logins_per_user.lockout)
            .max(self.limits.logins_per_address.lockout);
        self.store
            .purge_login_failures(before(login_window))
            .await?;
        report.doomed_blobs = self.remove_doomed_blobs(now).await?;
        report.orphan_blobs = self.sweep_orphans(before(policy.orphan_grace)).await?;
        Ok(report)
    }

    /// Removes the blobs of contents whose grace period ended, and then
    /// forgets the contents.
    async fn remove_doomed_blobs(&self, now: chrono::DateTime<Utc>) -> Result<u64, CleanupError> {
        let mut removed = 0;
        loop {
            let due = self
                .store
                .due_doomed_contents(now, SWEEP_BATCH as u64)
                .await?;
            if due.is_empty() {
                return Ok(removed);
            }
            for content in due {
                for key in self.store.content_blobs(content).await? {
                    match sachet_blob::BlobKey::parse(&key) {
                        Ok(key) => self.blobs.delete(&key).await?,
                        Err(err) => {
                            tracing::warn!(blob = %key, error = %err, "skipping an invalid part key")
                        }
                    }
                    removed += 1;
                }
                self.store.forget_content(content).await?;
            }
        }
    }

    async fn sweep_orphans(&self, cutoff: chrono::DateTime<Utc>) -> Result<u64, CleanupError> {
        let candidates = self.blobs.list_older_than(cutoff).await?;
        let mut removed = 0;
        for batch in candidates.chunks(SWEEP_BATCH) {
            let keys: Vec<String> = batch.iter().map(ToString::to_string).collect();
            let referenced = self.store.referenced_blobs(&keys).await?;
            for key in batch
                .iter()
                .filter(|key| !referenced.contains(&key.to_string()))
            {
                self.blobs.delete(key).await?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}
