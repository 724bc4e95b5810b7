//! The publisher identity: recorded when the database is published, and the only caller
//! allowed to apply or compact events (CONTRACT M1 step 1, M4).

use spacetimedb::{ReducerContext, Table};

use crate::errors::unauthorized;
use crate::tables::{module_publisher, ModulePublisher, PUBLISHER_ROW_ID};

/// Runs once, when the database is first published; the caller is the identity that
/// published it.
#[spacetimedb::reducer(init)]
pub fn init(ctx: &ReducerContext) {
    ctx.db.module_publisher().insert(ModulePublisher { id: PUBLISHER_ROW_ID, publisher: ctx.sender });
}

/// `Ok` only when the caller is the recorded publisher, else `unauthorized`.
pub fn require_publisher(ctx: &ReducerContext) -> Result<(), String> {
    match ctx.db.module_publisher().id().find(PUBLISHER_ROW_ID) {
        Some(row) if row.publisher == ctx.sender => Ok(()),
        _ => Err(unauthorized()),
    }
}
