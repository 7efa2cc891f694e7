-- Every live signaling instance writes its heartbeat here every SIGNALING_INSTANCE_HEARTBEAT_SECONDS.
-- An instance that stops (crash, kill -9, lost host) leaves its sessions open; any other instance sees
-- its heartbeat go stale and closes them with leave_reason 'instance_lost' and left_at = this
-- last_heartbeat_at (the last moment the instance is known to have been alive). Times are the
-- database's clock, so the instances' clocks need not agree.
CREATE TABLE signaling_instances (
  id                text        PRIMARY KEY,
  started_at        timestamptz NOT NULL DEFAULT now(),
  last_heartbeat_at timestamptz NOT NULL DEFAULT now()
);

-- The sweep looks for stale heartbeats.
CREATE INDEX signaling_instances_heartbeat_idx ON signaling_instances (last_heartbeat_at);
