"""Where the data lives: a workspace's life (lifecycle: create, unlock, lock, rekey, back up,
restore), its database engines, backups, private files, the intake writer's statements
(driver), per-transaction caches (txcache) and the user's settings.

Free of imports: the CLI imports a submodule only when its command needs the database."""
