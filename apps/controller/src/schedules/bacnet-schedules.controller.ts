/**
 * Import and export of schedules and calendars to and from BACnet devices
 * (/api/v1). Statuses: 400 malformed body; the rest as
 * bacnet-schedules.errors.ts lists them (404 unknown schedule, device or
 * device object, 409 write refused by the device, 422 not convertible, 502
 * other device errors, 504 no answer). Every error is RFC 9457 problem details.
 */
import {
  BadRequestException,
  Body,
  Controller,
  HttpCode,
  HttpException,
  Param,
  Post,
  UnprocessableEntityException,
} from '@nestjs/common';
import type { Calendar } from '#libs/schedules';
import type { ControllerSchedule } from '../configuration/configuration.port.js';
import { TransferBodyError, parseTransferBody } from './bacnet-schedules.body.js';
import { ConfigurationInvalidError } from '../configuration/configuration-checks.js';
import { ScheduleTransferError } from './bacnet-schedules.errors.js';
import { BacnetSchedulesService } from './bacnet-schedules.service.js';
import type { ExportResult } from './bacnet-schedules.service.js';

/** Until requests carry a person, edits made through the API are the operator's. */
const API_AUTHOR = 'operator';

@Controller('api/v1')
export class BacnetSchedulesController {
  constructor(private readonly transfers: BacnetSchedulesService) {}

  @Post('schedules/import')
  @HttpCode(200)
  importSchedule(@Body() body: unknown): Promise<ControllerSchedule> {
    return mapErrors(() =>
      this.transfers.importSchedule(parseTransferBody('scheduleImport', body), API_AUTHOR),
    );
  }

  @Post('schedules/:id/export')
  @HttpCode(200)
  exportSchedule(@Param('id') id: string, @Body() body: unknown): Promise<ExportResult> {
    return mapErrors(() => this.transfers.exportSchedule(id, parseTransferBody('scheduleExport', body)));
  }

  @Post('calendars/import')
  @HttpCode(200)
  importCalendar(@Body() body: unknown): Promise<Calendar> {
    return mapErrors(() => {
      const { device, instance, id } = parseTransferBody('calendarImport', body);
      return this.transfers.importCalendar({ device, instance, ...(id ? { name: id } : {}) }, API_AUTHOR);
    });
  }

  @Post('calendars/:name/export')
  @HttpCode(200)
  exportCalendar(
    @Param('name') name: string,
    @Body() body: unknown,
  ): Promise<{ device: string; instance: number; objectName: string }> {
    return mapErrors(() => this.transfers.exportCalendar(name, parseTransferBody('calendarExport', body)));
  }
}

async function mapErrors<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof TransferBodyError) throw new BadRequestException(err.message);
    if (err instanceof ScheduleTransferError)
      throw new HttpException(`${err.code}: ${err.message}`, err.status);
    // What was read converts, but the configuration refuses it (e.g. an exception naming an unknown calendar).
    if (err instanceof ConfigurationInvalidError) throw new UnprocessableEntityException(err.message);
    throw err;
  }
}
