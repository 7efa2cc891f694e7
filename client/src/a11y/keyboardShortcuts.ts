/**
 * The keyboard shortcuts for the mic and camera, as Google Meet has them: Ctrl+D and Ctrl+E (⌘ on
 * a Mac). A modifier keeps them clear of screen readers' single-letter navigation keys (WCAG 2.1.4).
 */

export type ShortcutAction = 'mic' | 'camera';

/** What `aria-keyshortcuts` says on each button (the ARIA syntax). */
export const ARIA_KEYSHORTCUTS: Record<ShortcutAction, string> = { mic: 'Control+D Meta+D', camera: 'Control+E Meta+E' };

/** The visible hint. */
export const SHORTCUT_HINT: Record<ShortcutAction, string> = { mic: 'Ctrl+D', camera: 'Ctrl+E' };

type KeyEventLike = Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey' | 'repeat' | 'target'>;

/** Typing in a field (the join form's name, say) must never toggle the mic. */
function isTyping(target: EventTarget | null): boolean {
  // Duck-typed (an Element has both), so the rule can be unit-tested without a DOM.
  const element = target as Partial<Pick<HTMLElement, 'closest' | 'isContentEditable'>> | null;
  if (!element || typeof element.closest !== 'function') return false;
  return element.isContentEditable === true || element.closest('input, textarea, select') !== null;
}

/** The shortcut `event` is, or null (another key, held down, or typed into a field). */
export function shortcutOf(event: KeyEventLike): ShortcutAction | null {
  if (event.repeat || event.altKey || event.shiftKey || event.ctrlKey === event.metaKey) return null;
  const key = event.key.toLowerCase();
  const action = key === 'd' ? 'mic' : key === 'e' ? 'camera' : null;
  if (!action || isTyping(event.target)) return null;
  return action;
}
