/** Refusals of the alarm API, mapped to problem details by alarms.controller.ts. */

export class UnknownAlarmError extends Error {
  override readonly name = 'UnknownAlarmError';
  constructor(readonly id: string) {
    super(`no alarm "${id}" (alarm ids are positive integers)`);
  }
}

export class AlarmAlreadyAcknowledgedError extends Error {
  override readonly name = 'AlarmAlreadyAcknowledgedError';
  constructor(
    readonly id: number,
    by: string,
    at: number,
  ) {
    super(`alarm ${id} was already acknowledged by ${by} at ${new Date(at).toISOString()}`);
  }
}

/** The request is well-formed JSON but a field is missing or unusable: names the field. */
export class AlarmRequestError extends Error {
  override readonly name = 'AlarmRequestError';
}
