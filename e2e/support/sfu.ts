/** Asks the SFU itself (gRPC GetRoom) what it still holds for a room. */
import * as grpc from '@grpc/grpc-js';
import { loadSfuProto, type GetRoomResponse__Output } from '@lab/proto/sfu';

const DEADLINE_MS = 5_000;

export async function getRoom(sfuAddress: string, roomId: string): Promise<GetRoomResponse__Output> {
  const { Sfu } = loadSfuProto();
  const client = new Sfu(sfuAddress, grpc.credentials.createInsecure());
  try {
    return await new Promise<GetRoomResponse__Output>((resolve, reject) => {
      client.getRoom({ roomId }, { deadline: Date.now() + DEADLINE_MS }, (error, response) => {
        if (error) reject(error);
        else if (!response) reject(new Error('GetRoom returned no response'));
        else resolve(response);
      });
    });
  } finally {
    client.close();
  }
}

/**
 * Calls the SFU the way a broken client would: GetRoom with an empty room id, which it refuses with
 * INVALID_ARGUMENT. Resolves with the status code name.
 */
export async function refusedSfuCall(sfuAddress: string): Promise<string> {
  const { Sfu } = loadSfuProto();
  const client = new Sfu(sfuAddress, grpc.credentials.createInsecure());
  try {
    return await new Promise<string>((resolve, reject) => {
      client.getRoom({ roomId: '' }, { deadline: Date.now() + DEADLINE_MS }, (error) => {
        if (error) resolve(grpc.status[error.code]);
        else reject(new Error('GetRoom with an empty room id was accepted'));
      });
    });
  } finally {
    client.close();
  }
}

/** Opens a WatchEvents stream and cancels it after `ms`: one event subscriber that came and went. */
export async function shortEventStream(sfuAddress: string, ms: number): Promise<void> {
  const { Sfu } = loadSfuProto();
  const client = new Sfu(sfuAddress, grpc.credentials.createInsecure());
  const stream = client.watchEvents({ roomIds: [] });
  stream.on('error', () => {}); // the cancellation below ends it with CANCELLED
  await new Promise((resolve) => setTimeout(resolve, ms));
  stream.cancel();
  client.close();
}
