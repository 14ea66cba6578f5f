//! Conversions of the projection records: tables, statements, values.

use super::envelope::datetime_to_wit;
use crate::bindings::types;
use crate::{Column, ColumnType, Field, Index, Statement, Table, Value};

pub(crate) fn table_to_wit(table: Table) -> types::Table {
    types::Table {
        name: table.name,
        columns: table.columns.into_iter().map(column_to_wit).collect(),
        primary_key: table.primary_key,
        indexes: table.indexes.into_iter().map(index_to_wit).collect(),
    }
}

fn column_to_wit(column: Column) -> types::Column {
    types::Column {
        name: column.name,
        kind: match column.kind {
            ColumnType::Text => types::ColumnType::Text,
            ColumnType::Integer => types::ColumnType::Integer,
            ColumnType::Real => types::ColumnType::Real,
            ColumnType::Boolean => types::ColumnType::Boolean,
            ColumnType::Timestamp => types::ColumnType::Timestamp,
            ColumnType::Json => types::ColumnType::Json,
        },
        nullable: column.nullable,
    }
}

fn index_to_wit(index: Index) -> types::Index {
    types::Index {
        name: index.name,
        columns: index.columns,
        unique: index.unique,
    }
}

pub(crate) fn statement_to_wit(statement: Statement) -> types::Statement {
    match statement {
        Statement::Insert { table, fields } => types::Statement::Insert(types::Insert {
            table,
            fields: fields_to_wit(fields),
        }),
        Statement::Upsert {
            table,
            fields,
            conflict,
        } => types::Statement::Upsert(types::Upsert {
            table,
            fields: fields_to_wit(fields),
            conflict,
        }),
        Statement::Update { table, set, filter } => types::Statement::Update(types::Update {
            table,
            set: fields_to_wit(set),
            filter: fields_to_wit(filter),
        }),
        Statement::Delete { table, filter } => types::Statement::Delete(types::Delete {
            table,
            filter: fields_to_wit(filter),
        }),
    }
}

fn fields_to_wit(fields: Vec<Field>) -> Vec<types::Field> {
    fields
        .into_iter()
        .map(|field| types::Field {
            column: field.column,
            value: value_to_wit(field.value),
        })
        .collect()
}

fn value_to_wit(value: Value) -> types::Value {
    match value {
        Value::Null => types::Value::Null,
        Value::Text(text) => types::Value::Text(text),
        Value::Integer(integer) => types::Value::Integer(integer),
        Value::Real(real) => types::Value::Real(real),
        Value::Boolean(boolean) => types::Value::Boolean(boolean),
        Value::Timestamp(timestamp) => types::Value::Timestamp(datetime_to_wit(timestamp)),
        Value::Json(json) => types::Value::Json(json),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_a_table_when_exported_then_columns_keys_and_indexes_carry_over() {
        let table = Table::new("users")
            .column(Column::text("id"))
            .column(Column::json("data").nullable())
            .primary_key(["id"])
            .index(Index::new("users_data", ["data"]).unique());
        let wit = table_to_wit(table);
        assert_eq!(wit.name, "users");
        assert_eq!(wit.columns.len(), 2);
        assert_eq!(wit.columns[1].kind, types::ColumnType::Json);
        assert!(wit.columns[1].nullable);
        assert_eq!(wit.primary_key, ["id"]);
        assert!(wit.indexes[0].unique);
    }

    #[test]
    fn given_an_upsert_when_exported_then_fields_and_conflict_carry_over() {
        let upsert = Statement::upsert("users")
            .set("id", "u-1")
            .set("age", 42)
            .set("nickname", None::<String>)
            .conflict(["id"]);
        let types::Statement::Upsert(wit) = statement_to_wit(upsert) else {
            panic!("expected an upsert");
        };
        assert_eq!(wit.conflict, ["id"]);
        assert!(matches!(&wit.fields[0].value, types::Value::Text(text) if text == "u-1"));
        assert!(matches!(wit.fields[1].value, types::Value::Integer(42)));
        assert!(matches!(wit.fields[2].value, types::Value::Null));
    }

    #[test]
    fn given_an_update_when_exported_then_set_and_filter_stay_apart() {
        let update = Statement::update("users")
            .set("name", "Ada")
            .filter("id", "u-1");
        let types::Statement::Update(wit) = statement_to_wit(update) else {
            panic!("expected an update");
        };
        assert_eq!(wit.set[0].column, "name");
        assert_eq!(wit.filter[0].column, "id");
    }

    #[test]
    fn given_a_timestamp_value_when_exported_then_it_is_seconds_and_nanos() {
        let at = crate::DateTime::from_timestamp(10, 5).unwrap();
        let types::Value::Timestamp(wit) = value_to_wit(Value::from(at)) else {
            panic!("expected a timestamp");
        };
        assert_eq!((wit.seconds, wit.nanoseconds), (10, 5));
    }
}
