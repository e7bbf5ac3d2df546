import { Injectable } from '@nestjs/common';

import type { AnalysisFile as FileRow, CodebaseAnalysis as AnalysisRow, Prisma } from 'src/platform/database/generated/client.js';
import { PrismaService } from 'src/platform/database/prisma.service.js';
import type {
  AnalysisGraph,
  AnalysisRecord,
  AnalysisStatus,
  AnalysisSummary,
  AnalysisType,
  FileFacts,
  FileRecord,
  ResolvedImports,
} from 'src/features/codebase/codebase.types.js';

const FINISHED: AnalysisStatus[] = ['completed', 'failed', 'cancelled'];
const UNFINISHED: AnalysisStatus[] = ['queued', 'running'];
// Rows per INSERT: keeps each statement well under PostgreSQL's 65535 bind parameters.
const FILE_CHUNK = 1000;

export interface NewAnalysis {
  sessionId: string;
  root: string;
  analysisType: AnalysisType;
  include: string[];
  exclude: string[];
  status: 'queued' | 'running';
  total: number;
  at: Date;
}

export interface CompletedAnalysis {
  fingerprint: string;
  summary: AnalysisSummary;
  graph: AnalysisGraph | null;
  map: string;
  files: FileRecord[];
  scanned: number;
  at: Date;
}

type RowWithSession = AnalysisRow & { session: { sessionKey: string } };

@Injectable()
export class CodebaseRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(analysis: NewAnalysis): Promise<AnalysisRecord> {
    const row = await this.prisma.codebaseAnalysis.create({
      data: {
        sessionId: analysis.sessionId,
        root: analysis.root,
        analysisType: analysis.analysisType,
        include: analysis.include,
        exclude: analysis.exclude,
        status: analysis.status,
        total: analysis.total,
        createdAt: analysis.at,
        startedAt: analysis.status === 'running' ? analysis.at : null,
        heartbeatAt: analysis.status === 'running' ? analysis.at : null,
      },
      include: { session: { select: { sessionKey: true } } },
    });
    return toAnalysisRecord(row);
  }

  async setJobId(id: string, jobId: string): Promise<void> {
    await this.prisma.codebaseAnalysis.update({ where: { id }, data: { jobId } });
  }

  // Moves a queued analysis to running, or takes over a running one whose
  // job is run again (its worker died: the queue hands a job to one worker
  // at a time); false when it has ended (cancelled, or failed meanwhile).
  async start(id: string, at: Date): Promise<boolean> {
    const { count } = await this.prisma.codebaseAnalysis.updateMany({ where: { id, status: { in: ['queued', 'running'] } }, data: { status: 'running', startedAt: at, heartbeatAt: at, processed: 0 } });
    return count === 1;
  }

  async beat(id: string, at: Date): Promise<void> {
    await this.prisma.codebaseAnalysis.updateMany({ where: { id, status: 'running' }, data: { heartbeatAt: at } });
  }

  // Records progress; answers the status afterwards, so a runner learns of a cancellation.
  async recordProgress(id: string, processed: number, total: number, at: Date): Promise<AnalysisStatus | null> {
    const { count } = await this.prisma.codebaseAnalysis.updateMany({ where: { id, status: 'running' }, data: { processed, total, heartbeatAt: at } });
    if (count === 1) return 'running';
    const row = await this.prisma.codebaseAnalysis.findUnique({ where: { id }, select: { status: true } });
    return row?.status ?? null;
  }

  // Marks a queued or running analysis cancelled; false when it had already ended.
  async cancel(id: string, at: Date): Promise<boolean> {
    const { count } = await this.prisma.codebaseAnalysis.updateMany({
      where: { id, status: { in: ['queued', 'running'] } },
      data: { status: 'cancelled', error: 'cancelled by the caller', completedAt: at },
    });
    return count === 1;
  }

  async fail(id: string, error: string, at: Date): Promise<boolean> {
    const { count } = await this.prisma.codebaseAnalysis.updateMany({ where: { id, status: { in: ['queued', 'running'] } }, data: { status: 'failed', error, completedAt: at } });
    return count === 1;
  }

  // Fails a running analysis whose heartbeat (or start) is older than
  // `silentSince`, checked in the same statement, so a live runner's beat wins.
  async failIfSilent(id: string, silentSince: Date, error: string, at: Date): Promise<boolean> {
    const { count } = await this.prisma.codebaseAnalysis.updateMany({
      where: { id, status: 'running', OR: [{ heartbeatAt: { lt: silentSince } }, { heartbeatAt: null, startedAt: { lt: silentSince } }] },
      data: { status: 'failed', error, completedAt: at },
    });
    return count === 1;
  }

  // Whether any analysis of any namespace is queued or running. Sent through
  // the pool, not Prisma: every process serving the analysis queue asks at
  // start-up, where the answer is nearly always no, and Prisma's first query
  // loads its query compiler (about 18 MiB resident; docs/benchmarks.md,
  // start-up), which an idle `baton stdio` then does not hold.
  async anyUnfinished(): Promise<boolean> {
    const rows = await this.prisma.prepared.run('any_unfinished_analysis', 'SELECT 1 FROM codebase_analyses WHERE status = ANY($1::analysis_status[]) LIMIT 1', [UNFINISHED]);
    return rows.length > 0;
  }

  // Queued and running analyses of every namespace, oldest first.
  async findUnfinished(limit: number): Promise<{ namespace: string; analysis: AnalysisRecord }[]> {
    const rows = await this.prisma.codebaseAnalysis.findMany({ where: { status: { in: UNFINISHED } }, orderBy: { createdAt: 'asc' }, take: limit, include: { session: { select: { sessionKey: true, namespace: true } } } });
    return rows.map((row) => ({ namespace: row.session.namespace, analysis: toAnalysisRecord(row) }));
  }

  // The analysis row and its files in one transaction, so a reader sees a
  // completed analysis with all of its files or none of it. False when the
  // analysis was cancelled meanwhile: nothing is written.
  async complete(id: string, result: CompletedAnalysis): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.codebaseAnalysis.updateMany({
        where: { id, status: 'running' },
        data: {
          status: 'completed',
          fingerprint: result.fingerprint,
          summary: result.summary as unknown as Prisma.InputJsonObject,
          graph: result.graph ? (result.graph as unknown as Prisma.InputJsonObject) : undefined,
          map: result.map,
          processed: result.scanned,
          total: result.scanned,
          completedAt: result.at,
        },
      });
      if (count !== 1) return false;
      for (let offset = 0; offset < result.files.length; offset += FILE_CHUNK) {
        await tx.analysisFile.createMany({
          data: result.files.slice(offset, offset + FILE_CHUNK).map((file) => ({
            analysisId: id,
            path: file.path,
            status: file.status,
            sizeBytes: file.sizeBytes,
            contentHash: file.contentHash,
            problem: file.problem,
            facts: file.facts ? (file.facts as unknown as Prisma.InputJsonObject) : undefined,
            imports: file.imports ? (file.imports as unknown as Prisma.InputJsonObject) : undefined,
            rank: file.rank,
          })),
        });
      }
      return true;
    });
  }

  // Deletes the finished analyses of a session and root but the newest
  // `keep` (queued and running ones are never touched); answers how many went.
  async pruneFinished(sessionId: string, root: string, keep: number): Promise<number> {
    const finished = { sessionId, root, status: { in: FINISHED } };
    const kept = await this.prisma.codebaseAnalysis.findMany({ where: finished, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: keep, select: { id: true } });
    const { count } = await this.prisma.codebaseAnalysis.deleteMany({ where: { ...finished, id: { notIn: kept.map((k) => k.id) } } });
    return count;
  }

  async findById(namespace: string, sessionKey: string, id: string): Promise<AnalysisRecord | null> {
    const row = await this.prisma.codebaseAnalysis.findFirst({ where: { id, session: { namespace, sessionKey } }, include: { session: { select: { sessionKey: true } } } });
    return row ? toAnalysisRecord(row) : null;
  }

  async findByIdAnywhere(id: string): Promise<AnalysisRecord | null> {
    const row = await this.prisma.codebaseAnalysis.findUnique({ where: { id }, include: { session: { select: { sessionKey: true } } } });
    return row ? toAnalysisRecord(row) : null;
  }

  // The session's newest analysis in any state, or only completed ones.
  async findLatest(namespace: string, sessionKey: string, completedOnly: boolean): Promise<AnalysisRecord | null> {
    const row = await this.prisma.codebaseAnalysis.findFirst({
      where: { session: { namespace, sessionKey }, ...(completedOnly ? { status: 'completed' } : {}) },
      orderBy: { createdAt: 'desc' },
      include: { session: { select: { sessionKey: true } } },
    });
    return row ? toAnalysisRecord(row) : null;
  }

  // The newest completed analysis of the same root in the namespace, whose
  // files a new analysis may reuse.
  async findReusable(namespace: string, root: string): Promise<{ id: string; fingerprint: string } | null> {
    const row = await this.prisma.codebaseAnalysis.findFirst({
      where: { root, status: 'completed', fingerprint: { not: null }, session: { namespace } },
      orderBy: { completedAt: 'desc' },
      select: { id: true, fingerprint: true },
    });
    return row ? { id: row.id, fingerprint: row.fingerprint as string } : null;
  }

  async findFiles(analysisId: string): Promise<FileRecord[]> {
    const rows = await this.prisma.analysisFile.findMany({ where: { analysisId }, orderBy: { rank: 'desc' } });
    return rows.map(toFileRecord);
  }

  // Files by rank (then path), after a position of an earlier page.
  async findFilesPage(analysisId: string, after: FilePosition | null, limit: number): Promise<FileRecord[]> {
    const rows = await this.prisma.analysisFile.findMany({
      where: { analysisId, ...(after ? { OR: [{ rank: { lt: after.rank } }, { rank: after.rank, path: { gt: after.path } }] } : {}) },
      orderBy: [{ rank: 'desc' }, { path: 'asc' }],
      take: limit,
    });
    return rows.map(toFileRecord);
  }

  async findFile(analysisId: string, path: string): Promise<FileRecord | null> {
    const row = await this.prisma.analysisFile.findUnique({ where: { analysisId_path: { analysisId, path } } });
    return row ? toFileRecord(row) : null;
  }

  async findProblems(analysisId: string, limit: number): Promise<FileRecord[]> {
    const rows = await this.prisma.analysisFile.findMany({ where: { analysisId, status: { not: 'analyzed' } }, orderBy: { path: 'asc' }, take: limit });
    return rows.map(toFileRecord);
  }
}

export interface FilePosition {
  rank: number;
  path: string;
}

function toFileRecord(row: FileRow): FileRecord {
  return {
    path: row.path,
    status: row.status,
    sizeBytes: row.sizeBytes,
    contentHash: row.contentHash,
    problem: row.problem,
    facts: (row.facts as unknown as FileFacts | null) ?? null,
    imports: (row.imports as unknown as ResolvedImports | null) ?? null,
    rank: row.rank,
  };
}

function toAnalysisRecord(row: RowWithSession): AnalysisRecord {
  return {
    id: row.id,
    sessionId: row.sessionId,
    sessionKey: row.session.sessionKey,
    root: row.root,
    analysisType: row.analysisType,
    include: row.include,
    exclude: row.exclude,
    status: row.status,
    jobId: row.jobId,
    progress: { processed: row.processed, total: row.total },
    summary: (row.summary as unknown as AnalysisSummary | null) ?? null,
    graph: (row.graph as unknown as AnalysisGraph | null) ?? null,
    map: row.map,
    fingerprint: row.fingerprint,
    error: row.error,
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    heartbeatAt: row.heartbeatAt,
    completedAt: row.completedAt,
  };
}
