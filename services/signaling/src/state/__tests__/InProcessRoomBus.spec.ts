import { InProcessRoomBus } from '../InProcessRoomBus.ts';
import { describeRoomBusContract } from './roomBusContract.ts';

// One process is one instance: attaching and publishing go through the same bus.
describeRoomBusContract('InProcessRoomBus', async () => {
  const bus = new InProcessRoomBus();
  return { local: bus, remote: bus, close: () => bus.close() };
});
