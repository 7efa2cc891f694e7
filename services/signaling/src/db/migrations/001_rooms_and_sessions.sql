-- Rooms exist from their first join; last_active_at moves on every join and leave.
CREATE TABLE rooms (
  id             text        PRIMARY KEY,
  created_at     timestamptz NOT NULL DEFAULT now(),
  last_active_at timestamptz NOT NULL DEFAULT now()
);

-- One row per join: who was in which room, through which signaling instance, from when to when and why
-- they left ('left' = the leave request, 'disconnected' = the socket closed or timed out, ...).
CREATE TABLE sessions (
  id                 uuid        PRIMARY KEY,
  room_id            text        NOT NULL REFERENCES rooms (id),
  peer_id            text        NOT NULL,
  display_name       text        NOT NULL,
  signaling_instance text        NOT NULL,
  joined_at          timestamptz NOT NULL DEFAULT now(),
  left_at            timestamptz,
  leave_reason       text,
  -- A session is either open (both null) or ended (both set): an ended session always says why.
  CONSTRAINT sessions_left_with_reason CHECK ((left_at IS NULL) = (leave_reason IS NULL))
);

CREATE INDEX sessions_room_joined_idx ON sessions (room_id, joined_at);
-- "Who is still connected through instance X" (crash clean-up) scans open sessions only.
CREATE INDEX sessions_open_by_instance_idx ON sessions (signaling_instance) WHERE left_at IS NULL;
