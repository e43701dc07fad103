/**
 * Follows what is assigned to `session.input.audio` / `session.output.audio` (RoomIO assigns them at
 * start, LiveKit's own recorder wraps them, an app may replace them): every value assigned goes
 * through `onAssign`, which may hand back a wrapper to store instead.
 */

interface AudioSlot<T> {
  audio: T | null;
}

/** Installs the interception on this one holder (its class keeps its own accessor); returns the undo. */
export function interceptAudioSlot<T>(holder: AudioSlot<T>, onAssign: (value: T | null) => T | null): () => void {
  const accessor = findAccessor(holder, "audio");
  if (!accessor?.get || !accessor.set)
    throw new Error("this LiveKit version has no `audio` accessor on the session's input/output");
  const { get, set } = accessor;
  Object.defineProperty(holder, "audio", {
    configurable: true,
    enumerable: accessor.enumerable ?? false,
    get(this: AudioSlot<T>) {
      return get.call(this) as T | null;
    },
    set(this: AudioSlot<T>, value: T | null) {
      set.call(this, onAssign(value));
    },
  });
  return () => {
    delete (holder as Partial<AudioSlot<T>>).audio;
  };
}

function findAccessor(target: object, key: string): PropertyDescriptor | undefined {
  for (let proto: object | null = target; proto; proto = Object.getPrototypeOf(proto) as object | null) {
    const found = Object.getOwnPropertyDescriptor(proto, key);
    if (found) return found;
  }
  return undefined;
}
