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
