import { InMemoryRoomStateStore } from '../InMemoryRoomStateStore.ts';
import { describeRoomStateStoreContract } from './roomStateStoreContract.ts';

describeRoomStateStoreContract('InMemoryRoomStateStore', async () => new InMemoryRoomStateStore());
