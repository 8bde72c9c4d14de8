//! What the back office changes about users and instances beyond the editorial APIs: roles, disabling, video counts, crawl-now.

use crate::db::Store;
use crate::error::{Result, StoreError};
use crate::model::{Role, now};

impl Store {
    /// Changes a user's role.
    pub async fn set_user_role(&self, user_id: i64, role: Role) -> Result<()> {
        const SQL: &str = "UPDATE users SET role = $1 WHERE id = $2";
        let updated = on_pool!(&self.write, p => {
            sqlx::query(SQL).bind(role.as_str()).bind(user_id).execute(p).await?.rows_affected()
        });
        if updated == 0 {
            return Err(StoreError::NotFound("user"));
        }
        Ok(())
    }

    /// Disables (or enables again) a user; a disabled user's sessions stop
    /// working at once (see [`Store::session_user`]).
    pub async fn set_user_disabled(&self, user_id: i64, disabled: bool) -> Result<()> {
        const SQL: &str = "UPDATE users SET disabled = $1 WHERE id = $2";
        let updated = on_pool!(&self.write, p => {
            sqlx::query(SQL).bind(disabled).bind(user_id).execute(p).await?.rows_affected()
        });
        if updated == 0 {
            return Err(StoreError::NotFound("user"));
        }
        Ok(())
    }

    /// The number of videos kept of each instance (not deleted), by instance id.
    pub async fn video_counts_by_instance(&self) -> Result<Vec<(i64, i64)>> {
        const SQL: &str = "SELECT instance_id, COUNT(*) FROM videos \
            WHERE deleted_at IS NULL GROUP BY instance_id ORDER BY instance_id";
        Ok(on_pool!(&self.read, p => sqlx::query_as(SQL).fetch_all(p).await?))
    }

    /// Asks for an instance to be crawled at the next scheduler tick.
    pub async fn crawl_instance_now(&self, id: i64) -> Result<()> {
        const SQL: &str = "UPDATE instances SET next_crawl_at = $1 WHERE id = $2";
        let updated = on_pool!(&self.write, p => {
            sqlx::query(SQL).bind(now()).bind(id).execute(p).await?.rows_affected()
        });
        if updated == 0 {
            return Err(StoreError::NotFound("instance"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::*;

    async fn users_can_be_re_roled_and_disabled(store: Store) {
        let user = store
            .add_user(NewUser {
                username: "bob",
                display_name: "Bob",
                password: "un mot de passe solide",
                role: Role::Editor,
            })
            .await
            .unwrap();
        store.set_user_role(user.id, Role::Admin).await.unwrap();
        store.set_user_disabled(user.id, true).await.unwrap();
        let read = store.user_by_name("bob").await.unwrap().unwrap();
        assert_eq!(read.role, Role::Admin);
        assert!(read.disabled);
        assert!(
            store
                .check_password("bob", "un mot de passe solide")
                .await
                .unwrap()
                .is_none()
        );
        store.set_user_disabled(user.id, false).await.unwrap();
        assert!(matches!(
            store.set_user_role(999, Role::Editor).await,
            Err(StoreError::NotFound("user"))
        ));
    }

    async fn instances_are_counted_and_scheduled(store: Store) {
        let address = InstanceAddress::parse("video.example", "https").unwrap();
        let (instance, _) = store
            .add_instance(&NewInstance {
                address,
                status: InstanceStatus::Approved,
                origin: InstanceOrigin::Cli,
                discovered_from: None,
            })
            .await
            .unwrap();
        assert!(store.video_counts_by_instance().await.unwrap().is_empty());
        store.crawl_instance_now(instance.id).await.unwrap();
        let read = store.instance(instance.id).await.unwrap().unwrap();
        assert!(read.next_crawl_at.is_some());
        assert!(store.crawl_instance_now(instance.id + 100).await.is_err());
    }

    crate::backend_tests!(
        users_can_be_re_roled_and_disabled,
        instances_are_counted_and_scheduled,
    );
}
