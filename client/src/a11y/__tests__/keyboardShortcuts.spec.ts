import { describe, expect, it } from 'vitest';
import { shortcutOf } from '../keyboardShortcuts.ts';

/** A target that is (or is inside) a form field, or not. */
const target = (inField: boolean, isContentEditable = false) => ({
  isContentEditable,
  closest: (selector: string) => (inField && selector.includes('input') ? {} : null),
});
const key = (k: string, init: Partial<Record<'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey' | 'repeat', boolean>> = {}, inField = false) =>
  ({ key: k, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, repeat: false, target: target(inField), ...init }) as unknown as KeyboardEvent;

describe('keyboard shortcuts', () => {
  it('Ctrl+D toggles the mic and Ctrl+E the camera, ⌘ on a Mac too, whatever the letter case', () => {
    expect(shortcutOf(key('d', { ctrlKey: true }))).toBe('mic');
    expect(shortcutOf(key('e', { ctrlKey: true }))).toBe('camera');
    expect(shortcutOf(key('D', { metaKey: true }))).toBe('mic');
    expect(shortcutOf(key('E', { metaKey: true }))).toBe('camera');
  });

  it('plain letters, other modifiers, both modifiers and held keys do nothing', () => {
    expect(shortcutOf(key('d'))).toBeNull();
    expect(shortcutOf(key('m', { ctrlKey: true }))).toBeNull();
    expect(shortcutOf(key('d', { ctrlKey: true, shiftKey: true }))).toBeNull();
    expect(shortcutOf(key('d', { ctrlKey: true, altKey: true }))).toBeNull();
    expect(shortcutOf(key('d', { ctrlKey: true, metaKey: true }))).toBeNull();
    expect(shortcutOf(key('d', { ctrlKey: true, repeat: true }))).toBeNull();
  });

  it('is ignored while typing in a field or editable text', () => {
    expect(shortcutOf(key('d', { ctrlKey: true }, true))).toBeNull();
    const editable = { ...key('e', { ctrlKey: true }), target: target(false, true) } as unknown as KeyboardEvent;
    expect(shortcutOf(editable)).toBeNull();
  });
});
