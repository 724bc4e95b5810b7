//! The publisher: whoever published the database is the projector, the only identity
//! allowed to ingest events.

use spacetimedb::{ReducerContext, Table};

use crate::refusal::Refusal;
use crate::schema::{projector_owner, ProjectorOwner, OWNER_SLOT};

/// Runs once, when the database is created; `ctx.sender` is the publishing identity.
#[spacetimedb::reducer(init)]
pub fn init(ctx: &ReducerContext) {
    ctx.db.projector_owner().insert(ProjectorOwner { slot: OWNER_SLOT, identity: ctx.sender });
}

/// `Ok` when the caller is the recorded publisher.
pub fn ensure_projector(ctx: &ReducerContext) -> Result<(), Refusal> {
    let owner = ctx.db.projector_owner().slot().find(OWNER_SLOT);
    if owner.is_some_and(|row| row.identity == ctx.sender) {
        Ok(())
    } else {
        Err(Refusal::NotProjector)
    }
}
