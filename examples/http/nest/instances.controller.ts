/**
 * The two endpoints as a NestJS controller (on `@nestjs/platform-express`), behind a guard that wants
 * the admin token. `@Res()` hands the response to the adapter, which writes the answer; Nest's own
 * JSON and urlencoded parsers may stay on, the adapter uses what they parsed. `@All`, not `@Post` and
 * `@Get`: the adapter answers any other method with 405 and `Allow`, not Nest's 404.
 *
 * Part of: examples/http/nest/main.ts
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  All,
  Controller,
  Inject,
  Injectable,
  Req,
  Res,
  UnauthorizedException,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { Reconciler } from 'novita-reconciler';
import { createListHandler, createSyncHandler, toNodeHandler, type NodeHandler } from 'novita-reconciler/http';
import { isAdminAuthorization, type AdminToken } from '../admin-token.js';
import { RECONCILER } from './reconciler.module.js';

/** The {@link AdminToken} requests must carry. */
export const ADMIN_TOKEN = Symbol('ADMIN_TOKEN');

@Injectable()
export class AdminGuard implements CanActivate {
  constructor(@Inject(ADMIN_TOKEN) private readonly admin: AdminToken) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<IncomingMessage>();
    if (isAdminAuthorization(request.headers.authorization, this.admin.token)) return true;
    throw new UnauthorizedException('send Authorization: Bearer <ADMIN_TOKEN>');
  }
}

@Controller('api/instances')
@UseGuards(AdminGuard)
export class InstancesController {
  private readonly syncHandler: NodeHandler;
  private readonly listHandler: NodeHandler;

  constructor(@Inject(RECONCILER) reconciler: Reconciler) {
    this.syncHandler = toNodeHandler(createSyncHandler(reconciler));
    this.listHandler = toNodeHandler(createListHandler(reconciler));
  }

  @All('sync')
  sync(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    return this.syncHandler(req, res);
  }

  @All()
  list(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    return this.listHandler(req, res);
  }
}
