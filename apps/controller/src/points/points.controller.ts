import { Controller, Get, NotFoundException, Param, Query } from '@nestjs/common';
import type { PointDto } from '#libs/contracts';
import { LiveValues } from './live-values.js';

@Controller('api/v1/points')
export class PointsController {
  constructor(private readonly live: LiveValues) {}

  /** Every point of the site with its live value, quality and time; `?deviceId=` narrows to one device. */
  @Get()
  list(@Query('deviceId') deviceId?: string): PointDto[] {
    return this.live.list(deviceId ? { deviceId } : undefined);
  }

  @Get(':id')
  get(@Param('id') id: string): PointDto {
    const p = this.live.get(id);
    if (!p) throw new NotFoundException(`no point "${id}" (ids are deviceId.pointId)`);
    return p;
  }
}
