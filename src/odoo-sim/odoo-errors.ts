/**
 * The simulator's Python-like exceptions and their JSON-RPC serialisation, shaped exactly as Odoo 12's
 * `serialize_exception` / `_handle_exception` (wire contract §1): code 200 "Odoo Server Error" with
 * data{name, debug, message, arguments, exception_type}, code 100 for an expired session, 404 for no route.
 */

export type ExceptionType =
  | 'user_error'
  | 'warning'
  | 'access_error'
  | 'missing_error'
  | 'access_denied'
  | 'validation_error'
  | 'except_orm'
  | 'internal_error';

export interface RpcErrorBody {
  readonly code: number;
  readonly message: string;
  readonly data: {
    readonly name: string;
    readonly debug: string;
    readonly message: string;
    readonly arguments: readonly unknown[];
    readonly exception_type: ExceptionType;
  };
}

/** A Python exception raised inside a simulated controller; the server turns it into the envelope. */
export class OdooException extends Error {
  readonly rpcCode: number;
  readonly rpcMessage: string;
  readonly httpStatus: number;
  /** str(e) when it differs from the args joined (KeyError quotes its key, NotFound prints its description). */
  readonly pyStr: string;

  constructor(
    readonly pyName: string,
    readonly args: readonly unknown[],
    readonly exceptionType: ExceptionType,
    options: { rpcCode?: number; rpcMessage?: string; httpStatus?: number; pyStr?: string } = {},
  ) {
    super(options.pyStr ?? pyUstr(args));
    this.name = 'OdooException';
    this.rpcCode = options.rpcCode ?? 200;
    this.rpcMessage = options.rpcMessage ?? 'Odoo Server Error';
    this.httpStatus = options.httpStatus ?? 200;
    this.pyStr = options.pyStr ?? pyUstr(args);
  }

  toBody(): RpcErrorBody {
    return {
      code: this.rpcCode,
      message: this.rpcMessage,
      data: {
        name: this.pyName,
        debug:
          'Traceback (most recent call last):\n  File "/opt/odoo/odoo/http.py", line 656, in _handle_exception\n' +
          `    return super(JsonRequest, self)._handle_exception(exception)\n${this.pyName}: ${this.pyStr}\n`,
        message: this.pyStr,
        arguments: this.args,
        exception_type: this.exceptionType,
      },
    };
  }
}

/** Python's ustr(e): the args joined with "\n", None printed as "None". */
function pyUstr(args: readonly unknown[]): string {
  return args.map((a) => (a === null || a === undefined ? 'None' : typeof a === 'object' ? JSON.stringify(a) : String(a as string | number | boolean))).join('\n');
}

export const userError = (msg: string): OdooException => new OdooException('odoo.exceptions.UserError', [msg, ''], 'user_error');
export const validationError = (msg: string): OdooException =>
  new OdooException('odoo.exceptions.ValidationError', [msg, null], 'validation_error');
export const accessError = (msg: string): OdooException => new OdooException('odoo.exceptions.AccessError', [msg, null], 'access_error');
export const missingError = (msg: string): OdooException => new OdooException('odoo.exceptions.MissingError', [msg, null], 'missing_error');
export const accessDenied = (msg = 'Access denied'): OdooException => new OdooException('odoo.exceptions.AccessDenied', [msg], 'access_denied');
export const redirectWarning = (msg: string, actionId: number, button: string): OdooException =>
  new OdooException('odoo.exceptions.RedirectWarning', [msg, actionId, button], 'warning');
/** KeyError, TypeError, ValueError, psycopg2 errors…: everything else is internal_error with e.args. */
export const internal = (name: string, msg: string): OdooException => new OdooException(name, [msg], 'internal_error');
/** str(KeyError('x')) is "'x'" while args stays ["x"]. */
export const keyError = (key: string): OdooException =>
  new OdooException('builtins.KeyError', [key], 'internal_error', { pyStr: `'${key}'` });
export const typeError = (msg: string): OdooException => internal('builtins.TypeError', msg);
export const sessionExpired = (): OdooException =>
  new OdooException('odoo.http.SessionExpiredException', ['Session expired'], 'internal_error', {
    rpcCode: 100,
    rpcMessage: 'Odoo Session Expired',
  });
export const serializationFailure = (): OdooException =>
  internal('psycopg2.extensions.TransactionRollbackError', 'could not serialize access due to concurrent update\n');
export const notFound = (): OdooException =>
  new OdooException('werkzeug.exceptions.NotFound', [], 'internal_error', {
    rpcCode: 404,
    rpcMessage: '404: Not Found',
    httpStatus: 404,
    pyStr: NOT_FOUND_DESCRIPTION,
  });

/** werkzeug NotFound's str() is its description; args are empty. */
export const NOT_FOUND_DESCRIPTION =
  '404 Not Found: The requested URL was not found on the server.  If you entered the URL manually please check your spelling and try again.';
