import { Controller, Get, Inject, NotFoundException } from '@nestjs/common';

import { BATON_CONFIG } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';

// RFC 9728 protected resource metadata, at the root well-known URI and at its
// path form for the MCP endpoint (/.well-known/oauth-protected-resource/mcp):
// MCP clients read it to find the authorization server to get a token from.
@Controller('.well-known/oauth-protected-resource')
export class ProtectedResourceController {
  constructor(@Inject(BATON_CONFIG) private readonly config: BatonConfig) {}

  @Get()
  root(): Record<string, unknown> {
    return this.metadata();
  }

  @Get('mcp')
  mcp(): Record<string, unknown> {
    return this.metadata();
  }

  private metadata(): Record<string, unknown> {
    const { issuer, resource, requiredScopes } = this.config.auth;
    if (issuer === undefined || resource === undefined) throw new NotFoundException('OAuth is off (BATON_AUTH_ISSUER is not set), so there is no protected resource metadata; with BATON_AUTH_API_KEYS=true, send an API key as a Bearer token');
    return {
      resource,
      authorization_servers: [issuer],
      scopes_supported: requiredScopes,
      bearer_methods_supported: ['header'],
      resource_name: 'Baton',
    };
  }
}
