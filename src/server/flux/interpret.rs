//! Runs a parsed script: statements in order, expressions evaluated to values, streams of
//! tables passed through `|>` to the supported functions, and each `yield` (or a bare pipeline,
//! the implicit `yield(name: "_result")`) recorded as a result.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use regex::Regex;

use super::aggregate::{reduce, Reducer};
use super::ast::{BinOp, Expr, Param, Statement, UnaryOp};
use super::columns;
use super::error::{FluxError, FluxResult};
use super::group::{group, Mode};
use super::order::{limit, sort, tail};
use super::pivot::{pivot, PivotSpec};
use super::read::{read, resolve, Source};
use super::table::{Column, Table};
use super::value::{compare, ColType, Value};
use super::window::{aggregate_window, WindowSpec};
use crate::server::auth::Principal;
use crate::store::Store;
use crate::text::{civil_from_days, days_from_civil, days_in_month};

/// The functions the subset runs; any other call is refused before anything runs.
const BUILTINS: &[&str] = &[
    "from",
    "range",
    "filter",
    "pivot",
    "keep",
    "drop",
    "rename",
    "group",
    "sort",
    "limit",
    "tail",
    "first",
    "last",
    "count",
    "sum",
    "mean",
    "min",
    "max",
    "median",
    "aggregateWindow",
    "yield",
    "now",
    "buckets",
    "schema.fieldsAsCols",
];

/// The name a result gets without `yield(name:)`.
pub const DEFAULT_RESULT: &str = "_result";

const NS_PER_SECOND: i64 = 1_000_000_000;

#[derive(Debug, Clone)]
pub enum Val {
    Value(Value),
    Duration(i64),
    /// A calendar duration in months (`-1y`); only time bounds take it.
    Months(i64),
    Regex(Rc<Regex>),
    Array(Vec<Val>),
    Record(Vec<(String, Val)>),
    Function(Rc<Lambda>),
    Builtin(&'static str),
    Stream(Rc<Stream>),
}

#[derive(Debug)]
pub struct Lambda {
    params: Vec<Param>,
    body: Expr,
}

/// Tables as they flow: a read not yet bounded by `range`, a bounded read not yet made (so a
/// following filter can narrow it to a measurement), or tables.
#[derive(Debug)]
pub enum Stream {
    Unbounded {
        source: Source,
        bucket: String,
    },
    Ranged {
        source: Source,
        start: i64,
        stop: i64,
        measurement: Option<String>,
    },
    Tables(Vec<Table>),
}

/// A row a predicate is evaluated on, bound to the function's parameter.
struct Row<'r> {
    param: &'r str,
    table: &'r Table,
    values: &'r [Value],
}

/// What a script produced: its results in order, and the error that stopped it, if any.
pub struct Outcome {
    pub results: Vec<(String, Vec<Table>)>,
    pub error: Option<FluxError>,
}

pub struct Interpreter<'a> {
    store: &'a Store,
    principal: &'a Principal,
    /// The ID of the request's organization, which `buckets()` lists as the owner.
    org_id: String,
    now: i64,
    globals: HashMap<String, Val>,
    results: Vec<(String, Vec<Table>)>,
}

impl<'a> Interpreter<'a> {
    pub fn new(store: &'a Store, principal: &'a Principal, org_id: &str, now: i64) -> Self {
        Interpreter {
            store,
            principal,
            org_id: org_id.to_string(),
            now,
            globals: HashMap::new(),
            results: Vec::new(),
        }
    }

    /// Checks the whole script, then runs it statement by statement.
    pub fn run(mut self, program: &[Statement]) -> FluxResult<Outcome> {
        check(program)?;
        for statement in program {
            if let Err(error) = self.statement(statement) {
                return Ok(Outcome {
                    results: self.results,
                    error: Some(error),
                });
            }
        }
        if self.results.is_empty() {
            return Err(FluxError::Compile("no streaming data".into()));
        }
        Ok(Outcome {
            results: self.results,
            error: None,
        })
    }

    fn statement(&mut self, statement: &Statement) -> FluxResult<()> {
        match statement {
            Statement::Import(_) => Ok(()),
            Statement::Option { name, value } => self.option(name, value),
            Statement::Assign { name, value } => {
                let value = self.eval(value, &HashMap::new(), None)?;
                self.globals.insert(name.clone(), value);
                Ok(())
            }
            Statement::Expr(expr) => {
                let value = self.eval(expr, &HashMap::new(), None)?;
                if let (Val::Stream(stream), false) = (value, ends_in_yield(expr)) {
                    let tables = self.materialize(&stream)?;
                    self.results.push((DEFAULT_RESULT.to_string(), tables));
                }
                Ok(())
            }
        }
    }

    /// `option now = () => <time>` sets the query's now; `location` changes what windows mean
    /// and is refused; other options (a task's) change nothing here.
    fn option(&mut self, name: &str, value: &Expr) -> FluxResult<()> {
        match name {
            "now" => {
                let Expr::Function(params, body) = value else {
                    return Err(FluxError::Runtime("option now must be a function".into()));
                };
                if !params.is_empty() {
                    return Err(FluxError::Runtime("option now takes no parameters".into()));
                }
                match self.eval(body, &HashMap::new(), None)? {
                    Val::Value(Value::Time(t)) => {
                        self.now = t;
                        Ok(())
                    }
                    _ => Err(FluxError::Runtime("option now must return a time".into())),
                }
            }
            "location" => Err(FluxError::unsupported("option location")),
            _ => Ok(()),
        }
    }

    fn lookup(&self, name: &str, locals: &HashMap<String, Val>) -> FluxResult<Val> {
        if let Some(value) = locals.get(name).or_else(|| self.globals.get(name)) {
            return Ok(value.clone());
        }
        match name {
            "true" => return Ok(Val::Value(Value::Bool(true))),
            "false" => return Ok(Val::Value(Value::Bool(false))),
            _ => {}
        }
        match BUILTINS.iter().find(|b| **b == name) {
            Some(builtin) => Ok(Val::Builtin(builtin)),
            None => Err(FluxError::Compile(format!("undefined identifier {name}"))),
        }
    }

    fn eval(
        &mut self,
        expr: &Expr,
        locals: &HashMap<String, Val>,
        row: Option<&Row>,
    ) -> FluxResult<Val> {
        Ok(match expr {
            Expr::Ident(name) => match row {
                Some(row) if row.param == name => {
                    return Err(FluxError::unsupported("using a whole row as a value"))
                }
                _ => self.lookup(name, locals)?,
            },
            Expr::Int(i) => Val::Value(Value::Int(*i)),
            Expr::Float(f) => Val::Value(Value::Float(*f)),
            Expr::Str(s) => Val::Value(Value::Str(s.clone())),
            Expr::Duration(d) => Val::Duration(*d),
            Expr::Months(m) => Val::Months(*m),
            Expr::Time(t) => Val::Value(Value::Time(*t)),
            Expr::Regex(source) => Val::Regex(Rc::new(Regex::new(source).map_err(|e| {
                FluxError::Compile(format!("invalid regular expression /{source}/: {e}"))
            })?)),
            Expr::Array(items) => Val::Array(
                items
                    .iter()
                    .map(|item| self.eval(item, locals, row))
                    .collect::<FluxResult<_>>()?,
            ),
            Expr::Record(fields) => Val::Record(
                fields
                    .iter()
                    .map(|(name, value)| Ok((name.clone(), self.eval(value, locals, row)?)))
                    .collect::<FluxResult<_>>()?,
            ),
            Expr::Member(object, name) => {
                if let (Some(row), Expr::Ident(id)) = (row, &**object) {
                    if id == row.param {
                        return Ok(Val::Value(
                            row.table
                                .index(name)
                                .map_or(Value::Null, |i| row.values[i].clone()),
                        ));
                    }
                }
                // A package member (`schema.fieldsAsCols`) when no variable has the name.
                if let Expr::Ident(package) = &**object {
                    let qualified = format!("{package}.{name}");
                    if !locals.contains_key(package) && !self.globals.contains_key(package) {
                        if let Some(builtin) = BUILTINS.iter().find(|b| **b == qualified) {
                            return Ok(Val::Builtin(builtin));
                        }
                    }
                }
                match self.eval(object, locals, row)? {
                    Val::Record(fields) => fields
                        .into_iter()
                        .find(|(n, _)| n == name)
                        .map(|(_, v)| v)
                        .ok_or_else(|| {
                            FluxError::Runtime(format!("record has no property \"{name}\""))
                        })?,
                    _ => return Err(FluxError::Runtime(format!("cannot access \"{name}\" here"))),
                }
            }
            Expr::Index(array, index) => {
                let array = self.eval(array, locals, row)?;
                let index = self.eval(index, locals, row)?;
                match (array, index) {
                    (Val::Array(items), Val::Value(Value::Int(i))) => usize::try_from(i)
                        .ok()
                        .and_then(|i| items.get(i).cloned())
                        .ok_or_else(|| FluxError::Runtime(format!("index out of bounds: {i}")))?,
                    _ => return Err(FluxError::Runtime("invalid index expression".into())),
                }
            }
            Expr::Call(callee, arguments) => {
                let callee = self.eval(callee, locals, row)?;
                let mut args = Vec::with_capacity(arguments.len());
                for (name, value) in arguments {
                    args.push((name.clone(), self.eval(value, locals, row)?));
                }
                self.call(callee, args, None)?
            }
            Expr::Pipe(left, call) => {
                let piped = self.eval(left, locals, row)?;
                let Expr::Call(callee, arguments) = &**call else {
                    return Err(FluxError::Compile("pipe destination must be a call".into()));
                };
                let callee = self.eval(callee, locals, row)?;
                let mut args = Vec::with_capacity(arguments.len());
                for (name, value) in arguments {
                    args.push((name.clone(), self.eval(value, locals, row)?));
                }
                self.call(callee, args, Some(piped))?
            }
            Expr::Unary(op, operand) => {
                let value = self.eval(operand, locals, row)?;
                unary(*op, value)?
            }
            Expr::Chain(op, terms) => {
                // `and` stops at the first false term, `or` at the first true one.
                let stop_at = *op == BinOp::Or;
                for term in terms {
                    if truthy(&self.eval(term, locals, row)?)? == stop_at {
                        return Ok(Val::Value(Value::Bool(stop_at)));
                    }
                }
                Val::Value(Value::Bool(!stop_at))
            }
            Expr::Binary(op, left, right) => {
                let left = self.eval(left, locals, row)?;
                let right = self.eval(right, locals, row)?;
                binary(*op, left, right)?
            }
            Expr::Function(params, body) => Val::Function(Rc::new(Lambda {
                params: params.clone(),
                body: (**body).clone(),
            })),
            Expr::Conditional(test, then, otherwise) => {
                if truthy(&self.eval(test, locals, row)?)? {
                    self.eval(then, locals, row)?
                } else {
                    self.eval(otherwise, locals, row)?
                }
            }
        })
    }

    fn call(
        &mut self,
        callee: Val,
        args: Vec<(String, Val)>,
        piped: Option<Val>,
    ) -> FluxResult<Val> {
        match callee {
            Val::Builtin(name) => self.builtin(name, Args::new(name, args), piped),
            Val::Function(lambda) => {
                let mut locals = HashMap::new();
                let mut args = args;
                for param in &lambda.params {
                    let value = if param.pipe {
                        piped.clone().ok_or_else(|| {
                            FluxError::Runtime(format!("missing pipe argument {}", param.name))
                        })?
                    } else if let Some(at) = args.iter().position(|(n, _)| n == &param.name) {
                        args.swap_remove(at).1
                    } else if let Some(default) = &param.default {
                        self.eval(default, &HashMap::new(), None)?
                    } else {
                        return Err(FluxError::Runtime(format!(
                            "missing required argument {}",
                            param.name
                        )));
                    };
                    locals.insert(param.name.clone(), value);
                }
                if let Some((name, _)) = args.first() {
                    return Err(FluxError::Runtime(format!("unexpected argument {name}")));
                }
                self.eval(&lambda.body, &locals, None)
            }
            _ => Err(FluxError::Runtime("value is not a function".into())),
        }
    }

    /// The tables of a stream, reading the store for a bounded read.
    fn materialize(&self, stream: &Stream) -> FluxResult<Vec<Table>> {
        match stream {
            Stream::Unbounded { bucket, .. } => Err(FluxError::Runtime(format!(
                "cannot submit unbounded read to {}; try bounding 'from' with a call to 'range'",
                crate::text::go_quote(bucket)
            ))),
            Stream::Ranged {
                source,
                start,
                stop,
                measurement,
            } => read(self.store, source, *start, *stop, measurement.as_deref()),
            Stream::Tables(tables) => Ok(tables.clone()),
        }
    }

    fn builtin(
        &mut self,
        name: &'static str,
        mut args: Args,
        piped: Option<Val>,
    ) -> FluxResult<Val> {
        let tables_in = |this: &Self| -> FluxResult<Vec<Table>> {
            match &piped {
                Some(Val::Stream(stream)) => this.materialize(stream),
                _ => Err(FluxError::Runtime(format!(
                    "{name}: missing required argument tables (use |> to pipe a stream into it)"
                ))),
            }
        };
        let stream = |tables: Vec<Table>| Ok(Val::Stream(Rc::new(Stream::Tables(tables))));
        match name {
            "now" => {
                args.finish()?;
                Ok(Val::Value(Value::Time(self.now)))
            }
            "buckets" => {
                args.finish()?;
                stream(vec![super::read::buckets(
                    self.store,
                    self.principal,
                    &self.org_id,
                )])
            }
            "schema.fieldsAsCols" => {
                args.finish()?;
                let spec = PivotSpec {
                    row_key: vec!["_time".into()],
                    column_key: vec!["_field".into()],
                    value_column: "_value".into(),
                };
                stream(pivot(tables_in(self)?, &spec)?)
            }
            "from" => {
                let bucket = match (args.string("bucket")?, args.string("bucketID")?) {
                    (Some(bucket), None) | (None, Some(bucket)) => bucket,
                    _ => {
                        return Err(FluxError::Runtime(
                            "from: specify exactly one of bucket or bucketID".into(),
                        ))
                    }
                };
                args.finish()?;
                let source = resolve(self.store, self.principal, &bucket)?;
                Ok(Val::Stream(Rc::new(Stream::Unbounded { source, bucket })))
            }
            "range" => {
                let start = args.time("start", self.now)?.ok_or_else(|| {
                    FluxError::Runtime("range: missing required argument start".into())
                })?;
                let stop = args.time("stop", self.now)?.unwrap_or(self.now);
                args.finish()?;
                match &piped {
                    Some(Val::Stream(s)) => match &**s {
                        Stream::Unbounded { source, .. } => {
                            Ok(Val::Stream(Rc::new(Stream::Ranged {
                                source: source.clone(),
                                start,
                                stop,
                                measurement: None,
                            })))
                        }
                        _ => stream(rerange(self.materialize(s)?, start, stop)),
                    },
                    _ => Err(FluxError::Runtime("range: missing piped tables".into())),
                }
            }
            "filter" => {
                let Some(Val::Function(predicate)) = args.take("fn") else {
                    return Err(FluxError::Runtime("filter: fn must be a function".into()));
                };
                let keep_empty = match args.string("onEmpty")?.as_deref() {
                    None | Some("drop") => false,
                    Some("keep") => true,
                    Some(other) => {
                        return Err(FluxError::Runtime(format!(
                            "filter: onEmpty must be \"keep\" or \"drop\", not \"{other}\""
                        )))
                    }
                };
                args.finish()?;
                let param = match predicate.params.as_slice() {
                    [param] if !param.pipe => param.name.clone(),
                    _ => {
                        return Err(FluxError::Runtime(
                            "filter: fn must take one parameter (r)".into(),
                        ))
                    }
                };
                let tables = match &piped {
                    Some(Val::Stream(s)) => match &**s {
                        Stream::Ranged {
                            source,
                            start,
                            stop,
                            measurement: None,
                        } => read(
                            self.store,
                            source,
                            *start,
                            *stop,
                            pinned_measurement(&predicate.body, &param).as_deref(),
                        )?,
                        other => self.materialize(other)?,
                    },
                    _ => tables_in(self)?,
                };
                let mut out = Vec::with_capacity(tables.len());
                for table in tables {
                    let mut kept = Vec::new();
                    for values in &table.rows {
                        let row = Row {
                            param: &param,
                            table: &table,
                            values,
                        };
                        match self.eval(&predicate.body, &HashMap::new(), Some(&row))? {
                            Val::Value(Value::Bool(true)) => kept.push(values.clone()),
                            Val::Value(Value::Bool(false) | Value::Null) => {}
                            _ => {
                                return Err(FluxError::Runtime(
                                    "filter: fn must return a boolean".into(),
                                ))
                            }
                        }
                    }
                    if !kept.is_empty() || keep_empty {
                        out.push(table.with_rows(kept));
                    }
                }
                stream(out)
            }
            "pivot" => {
                let spec = PivotSpec {
                    row_key: args.required_strings("rowKey")?,
                    column_key: args.required_strings("columnKey")?,
                    value_column: args.string("valueColumn")?.ok_or_else(|| {
                        FluxError::Runtime("pivot: missing required argument valueColumn".into())
                    })?,
                };
                args.finish()?;
                stream(pivot(tables_in(self)?, &spec)?)
            }
            "keep" | "drop" => {
                if args.take("fn").is_some() {
                    return Err(FluxError::unsupported(format!("{name}(fn:)")));
                }
                let columns = args.required_strings("columns")?;
                args.finish()?;
                let tables = tables_in(self)?;
                stream(if name == "keep" {
                    columns::keep(tables, &columns)?
                } else {
                    columns::drop(tables, &columns)?
                })
            }
            "rename" => {
                if args.take("fn").is_some() {
                    return Err(FluxError::unsupported("rename(fn:)"));
                }
                let Some(Val::Record(fields)) = args.take("columns") else {
                    return Err(FluxError::Runtime(
                        "rename: columns must be a record".into(),
                    ));
                };
                args.finish()?;
                let mut names = HashMap::new();
                for (from, to) in fields {
                    let Val::Value(Value::Str(to)) = to else {
                        return Err(FluxError::Runtime(
                            "rename: new names must be strings".into(),
                        ));
                    };
                    names.insert(from, to);
                }
                stream(columns::rename(tables_in(self)?, &names)?)
            }
            "group" => {
                let columns = args.strings("columns")?.unwrap_or_default();
                let mode = Mode::parse(args.string("mode")?.as_deref().unwrap_or("by"))?;
                args.finish()?;
                stream(group(tables_in(self)?, &columns, mode)?)
            }
            "sort" => {
                let columns = args
                    .strings("columns")?
                    .unwrap_or_else(|| vec!["_value".into()]);
                let desc = args.boolean("desc")?.unwrap_or(false);
                args.finish()?;
                stream(sort(tables_in(self)?, &columns, desc))
            }
            "limit" | "tail" => {
                let n = args.count("n")?.ok_or_else(|| {
                    FluxError::Runtime(format!("{name}: missing required argument n"))
                })?;
                let offset = args.count("offset")?.unwrap_or(0);
                args.finish()?;
                let tables = tables_in(self)?;
                stream(if name == "limit" {
                    limit(tables, n, offset)
                } else {
                    tail(tables, n, offset)
                })
            }
            "first" | "last" | "count" | "sum" | "mean" | "min" | "max" | "median" => {
                let column = args.string("column")?.unwrap_or_else(|| "_value".into());
                if name == "median" {
                    let method = args.string("method")?;
                    if !matches!(
                        method.as_deref(),
                        None | Some("estimate_tdigest" | "exact_mean")
                    ) {
                        return Err(FluxError::unsupported(format!(
                            "median(method: \"{}\")",
                            method.unwrap_or_default()
                        )));
                    }
                    args.take("compression");
                }
                args.finish()?;
                let reducer = Reducer::named(name).expect("listed reducers have names");
                stream(reduce(tables_in(self)?, reducer, &column)?)
            }
            "aggregateWindow" => {
                let every = args.duration("every")?.ok_or_else(|| {
                    FluxError::Runtime("aggregateWindow: missing required argument every".into())
                })?;
                if let Some(period) = args.duration("period")? {
                    if period != every {
                        return Err(FluxError::unsupported(
                            "aggregateWindow(period:) other than every",
                        ));
                    }
                }
                if args.take("location").is_some() {
                    return Err(FluxError::unsupported("aggregateWindow(location:)"));
                }
                let reducer = match args.take("fn") {
                    Some(f) => reducer_of(&f)?,
                    None => {
                        return Err(FluxError::Runtime(
                            "aggregateWindow: missing required argument fn".into(),
                        ))
                    }
                };
                let spec = WindowSpec {
                    every,
                    offset: args.duration("offset")?.unwrap_or(0),
                    reducer,
                    create_empty: args.boolean("createEmpty")?.unwrap_or(true),
                    column: args.string("column")?.unwrap_or_else(|| "_value".into()),
                    time_src: args.string("timeSrc")?.unwrap_or_else(|| "_stop".into()),
                    time_dst: args.string("timeDst")?.unwrap_or_else(|| "_time".into()),
                };
                args.finish()?;
                stream(aggregate_window(tables_in(self)?, &spec)?)
            }
            "yield" => {
                let result = args
                    .string("name")?
                    .unwrap_or_else(|| DEFAULT_RESULT.into());
                args.finish()?;
                let tables = tables_in(self)?;
                self.results.push((result, tables.clone()));
                stream(tables)
            }
            _ => Err(FluxError::unsupported(format!("function {name}()"))),
        }
    }
}

/// Whether an expression statement ends in `|> yield(…)` (so it is no implicit result).
fn ends_in_yield(expr: &Expr) -> bool {
    matches!(expr, Expr::Pipe(_, call) if matches!(&**call, Expr::Call(f, _) if **f == Expr::Ident("yield".into())))
}

/// The measurement a predicate requires (`r._measurement == "m"` among its `and`-ed terms).
fn pinned_measurement(body: &Expr, param: &str) -> Option<String> {
    match body {
        Expr::Chain(BinOp::And, terms) => terms.iter().find_map(|t| pinned_measurement(t, param)),
        Expr::Binary(BinOp::Eq, left, right) => {
            let is_measurement = |e: &Expr| {
                matches!(e, Expr::Member(object, name)
                    if name == "_measurement" && **object == Expr::Ident(param.to_string()))
            };
            match (&**left, &**right) {
                (l, Expr::Str(m)) | (Expr::Str(m), l) if is_measurement(l) => Some(m.clone()),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The reducer an `aggregateWindow(fn:)` names: an aggregate, or a function that pipes its
/// tables into one (`(column, tables=<-) => tables |> mean(column)`).
fn reducer_of(f: &Val) -> FluxResult<Reducer> {
    let named = match f {
        Val::Builtin(name) => Reducer::named(name),
        Val::Function(lambda) => match &lambda.body {
            Expr::Pipe(input, call) => match (&**input, &**call) {
                (Expr::Ident(tables), Expr::Call(callee, arguments))
                    if lambda.params.iter().any(|p| p.pipe && &p.name == tables)
                        && arguments.iter().all(|(n, _)| n == "column") =>
                {
                    match &**callee {
                        Expr::Ident(name) => Reducer::named(name),
                        _ => None,
                    }
                }
                _ => None,
            },
            _ => None,
        },
        _ => None,
    };
    named.ok_or_else(|| {
        FluxError::unsupported(
            "aggregateWindow(fn:) other than count, sum, mean, median, first, last, min or max",
        )
    })
}

/// `range` on tables: rows outside `[start, stop)` dropped, `_start`/`_stop` set and keyed.
fn rerange(tables: Vec<Table>, start: i64, stop: i64) -> Vec<Table> {
    tables
        .into_iter()
        .filter_map(|mut table| {
            for (label, bound) in [("_stop", stop), ("_start", start)] {
                match table.index(label) {
                    Some(i) => {
                        for row in &mut table.rows {
                            row[i] = Value::Time(bound);
                        }
                    }
                    None => {
                        table.columns.insert(0, Column::new(label, ColType::Time));
                        for row in &mut table.rows {
                            row.insert(0, Value::Time(bound));
                        }
                    }
                }
                table.key.retain(|(l, _)| l != label);
                table.key.push((label.to_string(), Value::Time(bound)));
            }
            if let Some(time) = table.index("_time") {
                table
                    .rows
                    .retain(|row| matches!(row[time], Value::Time(t) if t >= start && t < stop));
            }
            (!table.rows.is_empty()).then_some(table)
        })
        .collect()
}

/// `t` moved by whole calendar months, the day clamped to the month's length.
fn add_months(t: i64, months: i64) -> i64 {
    const NS_PER_DAY: i64 = 86_400 * NS_PER_SECOND;
    let (days, within) = (t.div_euclid(NS_PER_DAY), t.rem_euclid(NS_PER_DAY));
    let (year, month, day) = civil_from_days(days);
    let index = (year * 12 + month - 1).saturating_add(months);
    let (year, month) = (index.div_euclid(12), index.rem_euclid(12) + 1);
    let day = day.min(days_in_month(year, month));
    days_from_civil(year, month, day)
        .saturating_mul(NS_PER_DAY)
        .saturating_add(within)
}

fn truthy(value: &Val) -> FluxResult<bool> {
    match value {
        Val::Value(Value::Bool(b)) => Ok(*b),
        Val::Value(Value::Null) => Ok(false),
        _ => Err(FluxError::Runtime("logical operators take booleans".into())),
    }
}

fn unary(op: UnaryOp, value: Val) -> FluxResult<Val> {
    Ok(match (op, value) {
        (UnaryOp::Exists, Val::Value(v)) => Val::Value(Value::Bool(!v.is_null())),
        (UnaryOp::Exists, _) => Val::Value(Value::Bool(true)),
        (UnaryOp::Not, v) => Val::Value(match v {
            Val::Value(Value::Null) => Value::Null,
            v => Value::Bool(!truthy(&v)?),
        }),
        (UnaryOp::Neg, Val::Value(Value::Int(i))) => Val::Value(Value::Int(i.wrapping_neg())),
        (UnaryOp::Neg, Val::Value(Value::Float(f))) => Val::Value(Value::Float(-f)),
        (UnaryOp::Neg, Val::Duration(d)) => Val::Duration(d.wrapping_neg()),
        (UnaryOp::Neg, Val::Months(m)) => Val::Months(m.wrapping_neg()),
        (UnaryOp::Neg, Val::Value(Value::Null)) => Val::Value(Value::Null),
        (UnaryOp::Neg, _) => return Err(FluxError::Runtime("cannot negate this value".into())),
    })
}

fn type_name(value: &Val) -> &'static str {
    match value {
        Val::Value(Value::Null) => "null",
        Val::Value(v) => v.col_type().map_or("null", ColType::name),
        Val::Duration(_) | Val::Months(_) => "duration",
        Val::Regex(_) => "regexp",
        Val::Array(_) => "array",
        Val::Record(_) => "record",
        Val::Function(_) | Val::Builtin(_) => "function",
        Val::Stream(_) => "stream",
    }
}

fn binary(op: BinOp, left: Val, right: Val) -> FluxResult<Val> {
    let mismatch = |left: &Val, right: &Val| {
        FluxError::Runtime(format!(
            "unsupported binary expression {} {op:?} {}",
            type_name(left),
            type_name(right)
        ))
    };
    if let BinOp::RegexMatch | BinOp::RegexNotMatch = op {
        return match (&left, &right) {
            (Val::Value(Value::Str(s)), Val::Regex(re)) => Ok(Val::Value(Value::Bool(
                re.is_match(s) == (op == BinOp::RegexMatch),
            ))),
            (Val::Value(Value::Null), Val::Regex(_)) => Ok(Val::Value(Value::Null)),
            _ => Err(mismatch(&left, &right)),
        };
    }
    let comparison = matches!(
        op,
        BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge
    );
    if comparison {
        let ordering = match (&left, &right) {
            (Val::Value(Value::Null), _) | (_, Val::Value(Value::Null)) => {
                return Ok(Val::Value(Value::Null))
            }
            (Val::Duration(a), Val::Duration(b)) => a.cmp(b),
            (Val::Value(a), Val::Value(b)) => {
                let comparable =
                    a.col_type() == b.col_type() || (a.as_f64().is_some() && b.as_f64().is_some());
                if !comparable {
                    return Err(mismatch(&left, &right));
                }
                if let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) {
                    if x.is_nan() || y.is_nan() {
                        return Ok(Val::Value(Value::Bool(op == BinOp::Ne)));
                    }
                }
                compare(a, b)
            }
            _ => return Err(mismatch(&left, &right)),
        };
        let holds = match op {
            BinOp::Eq => ordering.is_eq(),
            BinOp::Ne => ordering.is_ne(),
            BinOp::Lt => ordering.is_lt(),
            BinOp::Le => ordering.is_le(),
            BinOp::Gt => ordering.is_gt(),
            _ => ordering.is_ge(),
        };
        return Ok(Val::Value(Value::Bool(holds)));
    }
    let value = match (op, &left, &right) {
        (_, Val::Value(Value::Null), _) | (_, _, Val::Value(Value::Null)) => {
            Val::Value(Value::Null)
        }
        (BinOp::Add, Val::Value(Value::Time(t)), Val::Duration(d)) => {
            Val::Value(Value::Time(t.saturating_add(*d)))
        }
        (BinOp::Sub, Val::Value(Value::Time(t)), Val::Duration(d)) => {
            Val::Value(Value::Time(t.saturating_sub(*d)))
        }
        (BinOp::Add, Val::Duration(a), Val::Duration(b)) => Val::Duration(a.saturating_add(*b)),
        (BinOp::Sub, Val::Duration(a), Val::Duration(b)) => Val::Duration(a.saturating_sub(*b)),
        (BinOp::Add, Val::Value(Value::Str(a)), Val::Value(Value::Str(b))) => {
            Val::Value(Value::Str(format!("{a}{b}")))
        }
        (_, Val::Value(Value::Int(a)), Val::Value(Value::Int(b))) => {
            Val::Value(Value::Int(match op {
                BinOp::Add => a.wrapping_add(*b),
                BinOp::Sub => a.wrapping_sub(*b),
                BinOp::Mul => a.wrapping_mul(*b),
                BinOp::Div | BinOp::Mod if *b == 0 => {
                    return Err(FluxError::Runtime("cannot divide by zero".into()))
                }
                BinOp::Div => a.wrapping_div(*b),
                _ => a.wrapping_rem(*b),
            }))
        }
        (_, Val::Value(Value::UInt(a)), Val::Value(Value::UInt(b))) => {
            Val::Value(Value::UInt(match op {
                BinOp::Add => a.wrapping_add(*b),
                BinOp::Sub => a.wrapping_sub(*b),
                BinOp::Mul => a.wrapping_mul(*b),
                BinOp::Div | BinOp::Mod if *b == 0 => {
                    return Err(FluxError::Runtime("cannot divide by zero".into()))
                }
                BinOp::Div => a / b,
                _ => a % b,
            }))
        }
        (_, Val::Value(Value::Float(a)), Val::Value(Value::Float(b))) => {
            Val::Value(Value::Float(match op {
                BinOp::Add => a + b,
                BinOp::Sub => a - b,
                BinOp::Mul => a * b,
                BinOp::Div => a / b,
                _ => a % b,
            }))
        }
        _ => return Err(mismatch(&left, &right)),
    };
    Ok(value)
}

/// Named arguments of a call, taken one by one; what is left over is an error.
struct Args {
    function: &'static str,
    values: Vec<(String, Val)>,
}

impl Args {
    fn new(function: &'static str, values: Vec<(String, Val)>) -> Self {
        Args { function, values }
    }

    fn take(&mut self, name: &str) -> Option<Val> {
        let at = self.values.iter().position(|(n, _)| n == name)?;
        Some(self.values.remove(at).1)
    }

    fn wrong(&self, name: &str, wanted: &str) -> FluxError {
        FluxError::Runtime(format!(
            "{}: argument {name} must be {wanted}",
            self.function
        ))
    }

    fn string(&mut self, name: &str) -> FluxResult<Option<String>> {
        match self.take(name) {
            None => Ok(None),
            Some(Val::Value(Value::Str(s))) => Ok(Some(s)),
            Some(_) => Err(self.wrong(name, "a string")),
        }
    }

    fn strings(&mut self, name: &str) -> FluxResult<Option<Vec<String>>> {
        match self.take(name) {
            None => Ok(None),
            Some(Val::Array(items)) => items
                .into_iter()
                .map(|item| match item {
                    Val::Value(Value::Str(s)) => Ok(s),
                    _ => Err(self.wrong(name, "an array of strings")),
                })
                .collect::<FluxResult<Vec<_>>>()
                .map(Some),
            Some(_) => Err(self.wrong(name, "an array of strings")),
        }
    }

    fn required_strings(&mut self, name: &str) -> FluxResult<Vec<String>> {
        self.strings(name)?.ok_or_else(|| {
            FluxError::Runtime(format!(
                "{}: missing required argument {name}",
                self.function
            ))
        })
    }

    fn boolean(&mut self, name: &str) -> FluxResult<Option<bool>> {
        match self.take(name) {
            None => Ok(None),
            Some(Val::Value(Value::Bool(b))) => Ok(Some(b)),
            Some(_) => Err(self.wrong(name, "a boolean")),
        }
    }

    /// A non-negative integer (a row count).
    fn count(&mut self, name: &str) -> FluxResult<Option<usize>> {
        match self.take(name) {
            None => Ok(None),
            Some(Val::Value(Value::Int(i))) => usize::try_from(i)
                .map(Some)
                .map_err(|_| self.wrong(name, "a non-negative integer")),
            Some(_) => Err(self.wrong(name, "an integer")),
        }
    }

    fn duration(&mut self, name: &str) -> FluxResult<Option<i64>> {
        match self.take(name) {
            None => Ok(None),
            Some(Val::Duration(d)) => Ok(Some(d)),
            Some(Val::Months(_)) => Err(FluxError::unsupported(format!(
                "a calendar duration (mo, y) as {}({name}:)",
                self.function
            ))),
            Some(_) => Err(self.wrong(name, "a duration")),
        }
    }

    /// A time bound: a time, a duration relative to now, or integer seconds since the epoch.
    fn time(&mut self, name: &str, now: i64) -> FluxResult<Option<i64>> {
        match self.take(name) {
            None => Ok(None),
            Some(Val::Value(Value::Time(t))) => Ok(Some(t)),
            Some(Val::Duration(d)) => Ok(Some(now.saturating_add(d))),
            Some(Val::Months(months)) => Ok(Some(add_months(now, months))),
            Some(Val::Value(Value::Int(seconds))) => {
                Ok(Some(seconds.saturating_mul(NS_PER_SECOND)))
            }
            Some(_) => Err(self.wrong(name, "a time, a duration or an integer")),
        }
    }

    fn finish(self) -> FluxResult<()> {
        match self.values.first() {
            None => Ok(()),
            Some((name, _)) => Err(FluxError::unsupported(format!(
                "argument {name} of {}()",
                self.function
            ))),
        }
    }
}

/// Before running: every called name is a supported function, a variable or a parameter, and
/// no two results share a name (Flux checks both at compile time).
fn check(program: &[Statement]) -> FluxResult<()> {
    let mut known: HashSet<String> = BUILTINS.iter().map(|s| s.to_string()).collect();
    let mut names = Vec::new();
    for statement in program {
        match statement {
            Statement::Import(_) => {}
            Statement::Option { value, .. } => check_expr(value, &mut known, &mut names)?,
            Statement::Assign { name, value } => {
                check_expr(value, &mut known, &mut names)?;
                known.insert(name.clone());
            }
            Statement::Expr(expr) => {
                check_expr(expr, &mut known, &mut names)?;
                if !ends_in_yield(expr) && is_pipeline(expr) {
                    names.push(DEFAULT_RESULT.to_string());
                }
            }
        }
    }
    let mut seen = HashSet::new();
    for name in names {
        if !seen.insert(name.clone()) {
            return Err(FluxError::Compile(format!(
                "multiple yields with the same name \"{name}\""
            )));
        }
    }
    Ok(())
}

fn is_pipeline(expr: &Expr) -> bool {
    matches!(expr, Expr::Pipe(..) | Expr::Call(..))
}

fn check_expr(
    expr: &Expr,
    known: &mut HashSet<String>,
    yields: &mut Vec<String>,
) -> FluxResult<()> {
    match expr {
        Expr::Call(callee, arguments) => {
            match &**callee {
                Expr::Ident(name) if known.contains(name) => {}
                Expr::Ident(name) => {
                    return Err(FluxError::unsupported(format!("function {name}()")))
                }
                Expr::Member(object, name) => {
                    let object = match &**object {
                        Expr::Ident(o) => o.clone(),
                        _ => "…".into(),
                    };
                    let qualified = format!("{object}.{name}");
                    if !BUILTINS.contains(&qualified.as_str()) {
                        return Err(FluxError::unsupported(format!("function {qualified}()")));
                    }
                }
                other => check_expr(other, known, yields)?,
            }
            if let Expr::Ident(name) = &**callee {
                if name == "yield" {
                    let result = arguments.iter().find(|(n, _)| n == "name");
                    match result.map(|(_, v)| v) {
                        None => yields.push(DEFAULT_RESULT.to_string()),
                        Some(Expr::Str(name)) => yields.push(name.clone()),
                        Some(_) => {}
                    }
                }
            }
            for (_, value) in arguments {
                check_expr(value, known, yields)?;
            }
            Ok(())
        }
        Expr::Pipe(left, call) => {
            check_expr(left, known, yields)?;
            check_expr(call, known, yields)
        }
        Expr::Function(params, body) => {
            let mut inner = known.clone();
            for param in params {
                inner.insert(param.name.clone());
                if let Some(default) = &param.default {
                    check_expr(default, known, yields)?;
                }
            }
            check_expr(body, &mut inner, yields)
        }
        Expr::Array(items) | Expr::Chain(_, items) => {
            items.iter().try_for_each(|i| check_expr(i, known, yields))
        }
        Expr::Record(fields) => fields
            .iter()
            .try_for_each(|(_, v)| check_expr(v, known, yields)),
        Expr::Member(object, _) => check_expr(object, known, yields),
        Expr::Index(a, b) | Expr::Binary(_, a, b) => {
            check_expr(a, known, yields)?;
            check_expr(b, known, yields)
        }
        Expr::Unary(_, operand) => check_expr(operand, known, yields),
        Expr::Conditional(a, b, c) => {
            check_expr(a, known, yields)?;
            check_expr(b, known, yields)?;
            check_expr(c, known, yields)
        }
        _ => Ok(()),
    }
}
