import { For, Show, type JSX } from 'solid-js';
import { useCall } from '../state/CallStore.tsx';
import type { DeviceChoice } from '../media/deviceChoices.ts';

/**
 * Camera, microphone and speaker choice, the same before and during the call. The speaker picker
 * shows only where the browser can route sound to a chosen output (setSinkId).
 */
export function DevicePickers(): JSX.Element {
  const { devices, deviceActions } = useCall();
  return (
    <Show when={devices.supported}>
      <div class="device-pickers">
        <Picker
          label="Camera"
          testId="camera-select"
          choices={devices.cameras}
          selected={devices.selected.camera ?? ''}
          onChange={(deviceId) => void deviceActions.select('camera', deviceId)}
        />
        <Picker
          label="Microphone"
          testId="mic-select"
          choices={devices.microphones}
          selected={devices.selected.mic ?? ''}
          onChange={(deviceId) => void deviceActions.select('mic', deviceId)}
        />
        <Show when={devices.speakerSelectable}>
          <Picker
            label="Speaker"
            testId="speaker-select"
            choices={devices.speakers}
            // '' is the system's default output, which browsers list as "default".
            selected={devices.speaker || 'default'}
            onChange={(deviceId) => deviceActions.selectSpeaker(deviceId)}
          />
        </Show>
      </div>
    </Show>
  );
}

function Picker(props: { label: string; testId: string; choices: DeviceChoice[]; selected: string; onChange(deviceId: string): void }): JSX.Element {
  return (
    <label class="device-picker">
      <span>{props.label}</span>
      <select
        data-testid={props.testId}
        disabled={props.choices.length === 0}
        onChange={(event) => props.onChange(event.currentTarget.value)}
      >
        <Show when={props.choices.length === 0}>
          <option value="">None found</option>
        </Show>
        {/* No device in use yet: an empty first entry, so the first device can be picked. */}
        <Show when={props.choices.length > 0 && !props.choices.some((choice) => choice.deviceId === props.selected)}>
          <option value="" selected>
            Choose…
          </option>
        </Show>
        <For each={props.choices}>
          {(choice) => (
            <option value={choice.deviceId} selected={choice.deviceId === props.selected}>
              {choice.label}
            </option>
          )}
        </For>
      </select>
    </label>
  );
}
