"""The deployment's identity: one random id, named by every backup (dyncrm.identity)."""


def up(migrator, db):
    from dyncrm.identity import DeploymentIdentity, new_id

    db.create_tables([DeploymentIdentity], safe=True)
    if not DeploymentIdentity.select().exists():
        DeploymentIdentity.create(deployment_id=new_id())


def down(migrator, db):
    from dyncrm.identity import DeploymentIdentity

    db.drop_tables([DeploymentIdentity])
