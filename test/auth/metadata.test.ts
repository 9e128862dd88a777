import { describe, expect, it } from 'vitest';
import { buildResourceMetadata, resourceMetadataLocation, WELL_KNOWN_PATH } from '../../src/auth/index.js';
import { expectCode } from '../helpers.js';

describe('buildResourceMetadata', () => {
  it('builds the RFC 9728 document with exactly the given values', () => {
    expect(
      buildResourceMetadata({
        resource: 'https://api.example.com/mcp',
        authorizationServers: ['https://auth.example.com'],
        scopesSupported: ['mcp:tools', 'mcp:read'],
        resourceName: 'Example MCP',
        resourceDocumentation: 'https://docs.example.com/mcp',
      }),
    ).toEqual({
      resource: 'https://api.example.com/mcp',
      authorization_servers: ['https://auth.example.com'],
      bearer_methods_supported: ['header'],
      scopes_supported: ['mcp:tools', 'mcp:read'],
      resource_name: 'Example MCP',
      resource_documentation: 'https://docs.example.com/mcp',
    });
  });

  it('omits what is not configured, and keeps the resource string as given', () => {
    const doc = buildResourceMetadata({
      resource: 'https://api.example.com',
      authorizationServers: ['https://a.example'],
    });
    expect(JSON.stringify(doc)).toBe(
      '{"resource":"https://api.example.com","authorization_servers":["https://a.example"],"bearer_methods_supported":["header"]}',
    );
  });

  it('accepts http on loopback hosts only', () => {
    for (const resource of ['http://localhost:3000/mcp', 'http://127.0.0.1:9999/mcp', 'http://[::1]:8080/']) {
      expect(buildResourceMetadata({ resource, authorizationServers: ['http://127.0.0.1:1'] }).resource).toBe(resource);
    }
  });

  it('refuses invalid options with ERR_AUTH_CONFIG', () => {
    const as = ['https://auth.example.com'];
    const bad = [
      { resource: 'http://api.example.com/mcp', authorizationServers: as },
      { resource: '/mcp', authorizationServers: as },
      { resource: 'https://api.example.com/mcp#frag', authorizationServers: as },
      { resource: 'https://api.example.com/mcp#', authorizationServers: as },
      { resource: 'https://api.example.com/mcp?x=1', authorizationServers: as },
      { resource: 'ftp://api.example.com/', authorizationServers: as },
      { resource: 'https://api.example.com/mcp', authorizationServers: [] },
      { resource: 'https://api.example.com/mcp', authorizationServers: ['not a url'] },
      { resource: 'https://api.example.com/mcp', authorizationServers: as, scopesSupported: ['two words'] },
      { resource: 'https://api.example.com/mcp', authorizationServers: as, bearerMethodsSupported: ['query'] },
      { resource: 'https://api.example.com/mcp', authorizationServers: as, resourceDocumentation: 'docs' },
    ];
    for (const options of bad) {
      expectCode(() => buildResourceMetadata(options as never), 'ERR_AUTH_CONFIG');
    }
    const e = expectCode(
      () => buildResourceMetadata({ resource: 'http://api.example.com/mcp', authorizationServers: as }),
      'ERR_AUTH_CONFIG',
    );
    expect(e.message).toBe(
      'resource must be an https URL (http only on a loopback host), got http://api.example.com/mcp',
    );
  });
});

describe('resourceMetadataLocation', () => {
  it('a resource with a path: the path-suffixed well-known path first, then the bare one', () => {
    expect(WELL_KNOWN_PATH).toBe('/.well-known/oauth-protected-resource');
    expect(resourceMetadataLocation('https://api.example.com/mcp')).toEqual({
      paths: ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource'],
      url: 'https://api.example.com/.well-known/oauth-protected-resource/mcp',
    });
    expect(resourceMetadataLocation('https://api.example.com:8443/v1/mcp/')).toEqual({
      paths: ['/.well-known/oauth-protected-resource/v1/mcp/', '/.well-known/oauth-protected-resource'],
      url: 'https://api.example.com:8443/.well-known/oauth-protected-resource/v1/mcp/',
    });
  });

  it('a resource without a path: only the bare well-known path', () => {
    for (const resource of ['https://api.example.com', 'https://api.example.com/']) {
      expect(resourceMetadataLocation(resource)).toEqual({
        paths: ['/.well-known/oauth-protected-resource'],
        url: 'https://api.example.com/.well-known/oauth-protected-resource',
      });
    }
    expect(resourceMetadataLocation('http://127.0.0.1:9999').url).toBe(
      'http://127.0.0.1:9999/.well-known/oauth-protected-resource',
    );
  });
});
