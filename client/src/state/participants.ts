import type { CallStoreState, Participant } from './CallStore.tsx';

/** The other participants in order of appearance (the order their tiles are shown in). */
export function participantList(store: CallStoreState): Participant[] {
  return Object.values(store.participants).sort((a, b) => a.order - b.order);
}
